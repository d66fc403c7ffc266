// Preflight judgements specific to real installs (PRODUCT.md "Real installs"; facts A1, A3, A4).
// Pure: facts in, findings out. preflight.ts calls these per node.
import type { EmqxVars, NodeLayout } from '../../emqx/parse/layout.js';
import { parseEmqxVars } from '../../emqx/parse/layout.js';
import type { PrivilegeProblem } from '../../emqx/parse/privilege.js';
import type { NodeSpec } from '../../inventory/types.js';
import { BECOME_PASSWORD_ENV } from '../../remote/become.js';
import type { NodeFacts } from '../core/facts.js';
import type { Finding, TarballInfo } from '../core/types.js';

/** Room beyond R in <RootDir>/relup (probe file, troubleshoot file, filesystem overhead). */
export const RELUP_SLACK_BYTES = 64 * 1024 * 1024;
/** Memory beyond the tarball the VM reads whole to hash it (A4): a failed allocation kills the VM. */
export const MEMORY_MARGIN_BYTES = 256 * 1024 * 1024;

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;

function blocker(code: string, node: string, message: string, fix: string): Finding {
  return { code, severity: 'blocker', node, message, fix };
}

/** sudo / check_user refusals: one blocker, the fix named. */
export function privilegeFinding(spec: NodeSpec, p: PrivilegeProblem): Finding {
  const as = spec.becomeUser ?? 'root';
  const who = `${spec.user}@${spec.host}`;
  switch (p.kind) {
    case 'password-required':
      return blocker(
        'become-password-required',
        spec.name,
        `${spec.name}: sudo wants a password for ${who} to run commands as ${as} (\`${p.line}\`)`,
        `give it through ${BECOME_PASSWORD_ENV} or run on a terminal to be prompted (never in the inventory), or allow ${spec.user} NOPASSWD sudo to ${as} on the node`,
      );
    case 'password-wrong':
      return blocker(
        'become-password-wrong',
        spec.name,
        `${spec.name}: sudo rejected the password for ${who} (\`${p.line}\`)`,
        `check the password in ${BECOME_PASSWORD_ENV} (or at the prompt) for ${spec.user} on ${spec.host}`,
      );
    case 'not-allowed':
      return blocker(
        'become-not-allowed',
        spec.name,
        `${spec.name}: ${spec.user} may not run commands as ${as} through sudo (\`${p.line}\`)`,
        `add a sudoers rule letting ${spec.user} run /bin/sh as ${as} on the node, or set becomeUser to a user ${spec.user} may become`,
      );
    case 'unknown-user':
      return blocker(
        'become-unknown-user',
        spec.name,
        `${spec.name}: becomeUser ${as} does not exist on the node (\`${p.line}\`)`,
        'set becomeUser to an existing user (root, or emqx on a package install)',
      );
    case 'sudo-missing':
      return blocker(
        'become-sudo-missing',
        spec.name,
        `${spec.name}: \`become: sudo\` is set but sudo is not installed on the node (\`${p.line}\`)`,
        `install sudo on ${spec.host}, or log in as a user that may run bin/emqx (root or emqx) and drop \`become\``,
      );
    case 'check-user-refused':
      return blocker(
        'check-user-refused',
        spec.name,
        `${spec.name}: bin/emqx refuses ${spec.user}: \`${p.line}\` (a package install runs as emqx; only emqx or root may run its commands)`,
        `set \`become: sudo\` (and becomeUser if not root) for this node, or log in as root or emqx`,
      );
  }
}

interface Place {
  readonly what: string;
  readonly path: string;
  readonly mount: string | null;
  readonly free: number | null;
  readonly need: number;
}

/**
 * Disk and memory where the handler really writes (A4): the staging dir (the tarball), the deploy
 * copy under <RootDir>/relup (R + slack), the extraction dir under the VM's TMP (U, unless the
 * cache already holds it), and MemAvailable ≥ tarball + margin. Places on one filesystem are added
 * up. Without a workspace probe (no tarball sha, or an old fake node) nothing is said here.
 */
export function workspaceFindings(spec: NodeSpec, f: NodeFacts, tarball: TarballInfo, staged: boolean): Finding[] {
  const w = f.workspace;
  if (!w || tarball.uncompressedBytes === undefined || tarball.releaseBytes === undefined) return [];
  const out: Finding[] = [];
  const hash16 = tarball.sha256.slice(0, 16);
  const places: Place[] = [
    {
      what: `the tarball staged in ${spec.stagingDir}`,
      path: spec.stagingDir,
      mount: f.stagingMount ?? null,
      free: f.stagingFreeBytes,
      need: staged ? 0 : tarball.size,
    },
    {
      what: `the release deployed to ${spec.rootDir}/relup/${tarball.version}/`,
      path: `${spec.rootDir}/relup`,
      mount: w.relupMount,
      free: w.relupFreeBytes,
      need: tarball.releaseBytes + RELUP_SLACK_BYTES,
    },
    {
      what: `the tarball extracted to ${w.tmpDir ?? '/tmp'}/emqx_relup_${hash16}/ (the VM's ${w.tmpSource && w.tmpSource !== 'default' ? w.tmpSource : 'TMP: /tmp'})`,
      path: w.tmpDir ?? '/tmp',
      mount: w.tmpMount,
      free: w.tmpFreeBytes,
      need: w.extractionCached ? 0 : tarball.uncompressedBytes,
    },
  ];
  const groups = new Map<string, Place[]>();
  places.forEach((p, i) => {
    const k = p.mount ?? `#${i}`;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  });
  const codes = ['disk-insufficient', 'disk-relup-insufficient', 'disk-tmp-insufficient'];
  for (const [mount, ps] of groups) {
    const need = ps.reduce((n, p) => n + p.need, 0);
    const frees = ps.map((p) => p.free).filter((x): x is number => x !== null);
    if (need === 0 || frees.length === 0) continue;
    const free = Math.min(...frees);
    if (free >= need) continue;
    const code = codes[places.indexOf(ps[0])];
    const on = mount.startsWith('#') ? ps[0].path : `the filesystem mounted at ${mount}`;
    const parts = ps
      .filter((p) => p.need > 0)
      .map((p) => `${mb(p.need)} for ${p.what}`)
      .join(' + ');
    out.push(
      blocker(
        code,
        spec.name,
        `${spec.name}: ${mb(free)} free on ${on}, need ${mb(need)}: ${parts}`,
        ps.some((p) => p.path === spec.stagingDir)
          ? `free space on ${on}, or point stagingDir at another filesystem`
          : `free space on ${on}${ps.some((p) => p.path === w.tmpDir) ? ' (old emqx_relup_* dirs under TMP are never cleaned: remove those of finished hops)' : ' (old relup/<vsn>/ trees are never removed: `emqx-rollout cleanup` lists them)'}`,
      ),
    );
  }
  if (w.memAvailableBytes !== null && w.memAvailableBytes < tarball.size + MEMORY_MARGIN_BYTES) {
    out.push(
      blocker(
        'memory-insufficient',
        spec.name,
        `${spec.name}: ${mb(w.memAvailableBytes)} of memory available, need ${mb(tarball.size + MEMORY_MARGIN_BYTES)} (the VM reads the whole ${mb(tarball.size)} tarball to hash it, + ${mb(MEMORY_MARGIN_BYTES)} margin); a failed allocation takes the node down`,
        'free memory on the node (or add some) before the hop',
      ),
    );
  }
  return out;
}

export interface LocationDiff {
  readonly what: 'etc dir' | 'log dir' | 'runner user';
  readonly running: string;
  readonly target: string;
}

/**
 * What a node restarted into a relup tree would boot with (that tree's emqx_vars) against what it
 * runs with now (A3 "Risk"). Only differences we can prove: an unknown on either side is not one.
 */
export function bootLocationDiff(running: NodeLayout, target: EmqxVars): LocationDiff[] {
  const out: LocationDiff[] = [];
  if (target.etcDir !== null && target.etcDir !== running.etcDir.path)
    out.push({ what: 'etc dir', running: running.etcDir.path, target: target.etcDir });
  if (target.logDir !== null && target.logDir !== running.logDir.path)
    out.push({ what: 'log dir', running: running.logDir.path, target: target.logDir });
  if (target.runnerUser !== null && running.runnerUser !== null && target.runnerUser !== running.runnerUser) {
    const u = (x: string) => (x === '' ? '"" (whoever starts it)' : x);
    out.push({ what: 'runner user', running: u(running.runnerUser), target: u(target.runnerUser) });
  }
  return out;
}

export function describeDiff(d: readonly LocationDiff[]): string {
  return d.map((x) => `${x.what}: runs with ${x.running}, the new tree says ${x.target}`).join('; ');
}

/** `plan`/`upgrade` warn up front: the tarball's emqx_vars is what relup/<T>/ will hold. */
export function relupTreeLayoutWarning(spec: NodeSpec, f: NodeFacts, tarball: TarballInfo): Finding | null {
  if (!f.layout || tarball.emqxVars === undefined) return null;
  const d = bootLocationDiff(f.layout, parseEmqxVars(tarball.emqxVars, spec.rootDir));
  if (d.length === 0) return null;
  return {
    code: 'relup-tree-layout-differs',
    severity: 'warning',
    node: spec.name,
    message: `${spec.name}${f.layout.relform ? ` (${f.layout.relform} install)` : ''}: the hot upgrade itself is unaffected, but relup/${tarball.version}/ will carry the tarball's releases/emqx_vars, so a restart into it would boot with other locations — ${describeDiff(d)}`,
    fix: `do not restart into relup/${tarball.version}/ until this is settled with EMQX (\`emqx-rollout restart\` refuses); upgrade the package (deb/rpm) to ${tarball.version} at the next maintenance restart instead`,
  };
}
