import { compareEmqxVersions, parseEmqxVersion } from '../../emqx/version.js';
import { formatSandboxInfo, sandboxDown, sandboxUp } from '../../sim/sandbox.js';
import { BadInputError } from '../../util/errors.js';
import type { CliIO } from '../io.js';

const VERSION_SHAPE =
  'an EMQX version like 5.10.4 (Major.Minor.Patch, optionally -rc.N/-alpha.N/-beta.N/-patch.N and -g<sha>)';

/** Pure: the sandbox only makes sense as a forward hop between two real version strings. */
export function checkSandboxVersions(from: string, to: string): void {
  const f = parseEmqxVersion(from);
  if (!f)
    throw new BadInputError(`--from: expected ${VERSION_SHAPE}, found ${JSON.stringify(from)}`, {
      hint: 'e.g. --from 5.10.4',
    });
  const t = parseEmqxVersion(to);
  if (!t)
    throw new BadInputError(`--to: expected ${VERSION_SHAPE}, found ${JSON.stringify(to)}`, {
      hint: 'e.g. --to 5.10.5',
    });
  if (compareEmqxVersions(f, t) >= 0) {
    throw new BadInputError(`--to: expected a version newer than --from ${from}, found ${to}`, {
      hint: 'a hot upgrade only moves forward: pick a --to above --from (e.g. --from 5.10.4 --to 5.10.5)',
    });
  }
}

/** Pure: `--layout` is tgz or pkg; `--ssh-user` a plain login name (pkg only). */
export function checkSandboxLayout(layout: string, sshUser?: string): 'tgz' | 'pkg' {
  if (layout !== 'tgz' && layout !== 'pkg') {
    throw new BadInputError(`--layout: expected tgz or pkg, found ${JSON.stringify(layout)}`, {
      hint: 'tgz = tarball install (everything under the root); pkg = deb/rpm-like install reached through sudo',
    });
  }
  if (sshUser !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(sshUser)) {
    throw new BadInputError(
      `--ssh-user: expected a login name like operator (lower case, digits, _ or -), found ${JSON.stringify(sshUser)}`,
      {
        hint: 'e.g. --ssh-user operator',
      },
    );
  }
  return layout;
}

export async function sandboxUpCommand(
  io: CliIO,
  o: { dir: string; nodes: number; from: string; to: string; layout?: string; sshUser?: string; ctlLatencyMs?: number },
): Promise<void> {
  checkSandboxVersions(o.from, o.to);
  const layout = checkSandboxLayout(o.layout ?? 'tgz', o.sshUser);
  const info = await sandboxUp({
    dir: o.dir,
    nodes: o.nodes,
    from: o.from,
    to: o.to,
    layout,
    sshUser: layout === 'pkg' ? o.sshUser : undefined,
    ctlLatencyMs: o.ctlLatencyMs,
  });
  io.stdout.write(formatSandboxInfo(info));
}

export async function sandboxDownCommand(io: CliIO, o: { dir: string }): Promise<void> {
  const found = await sandboxDown(o.dir);
  io.stdout.write(found ? `sandbox in ${o.dir} stopped\n` : `no sandbox found in ${o.dir}\n`);
}
