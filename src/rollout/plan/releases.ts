// `plan --releases DIR`: a directory of release tarballs with their `.sha256` sidecars. The tarball
// for the hop is picked and checked exactly as `--tarball` checks one (release/tarball.ts: name,
// digest against the sidecar, releases/emqx_vars, BUILD_INFO) and then against every node's
// BUILD_INFO (OS, arch, OTP major — the rule preflight.ts applies). A corrupt or wrong-arch file is
// reported and skipped; only when no usable tarball for the hop remains is that fatal.
//
// scanReleases() is the I/O edge (reads and hashes files); chooseRelease() is pure.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { otpMajor } from '../../release/buildInfo.js';
import { inspectRelease } from '../../release/tarball.js';
import { BadInputError, RolloutError, errorMessage } from '../../util/errors.js';
import type { NodeFacts } from '../core/facts.js';
import type { TarballInfo } from '../core/types.js';

export type ReleaseFile =
  | {
      readonly fileName: string;
      readonly path: string;
      readonly version: string | null;
      readonly ok: true;
      readonly tarball: TarballInfo;
    }
  | {
      readonly fileName: string;
      readonly path: string;
      readonly version: string | null;
      readonly ok: false;
      readonly problem: string;
      readonly details: readonly string[];
    };

export interface RejectedRelease {
  readonly fileName: string;
  readonly reason: string;
  readonly details: readonly string[];
}

export interface ReleaseChoice {
  readonly dir: string;
  readonly target: string;
  readonly chosen: TarballInfo | null;
  readonly rejected: readonly RejectedRelease[];
  /** Versions the directory holds tarballs for (by name), for "what else could I do". */
  readonly versions: readonly string[];
}

const NAME = /^emqx-enterprise-(\d+\.\d+\.\d+(?:-(?:alpha|beta|rc|patch)\.\d+)?(?:-g[0-9a-f]{4,40})?)-.*\.tar\.gz$/;

/** The version a release file name claims (the content is checked by inspectRelease). */
export function versionInName(fileName: string): string | null {
  return NAME.exec(fileName)?.[1] ?? null;
}

/** Every `*.tar.gz` in `dir`, sorted by name; those whose name claims `wanted(version)` inspected. */
export async function scanReleases(
  dir: string,
  wanted: (version: string | null) => boolean,
  signal?: AbortSignal,
): Promise<ReleaseFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isFile() && d.name.endsWith('.tar.gz'))
      .map((d) => d.name)
      .sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInputError(
      `--releases ${dir} ${code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a directory' : `cannot be read (${code ?? errorMessage(e)})`}`,
      {
        hint: 'pass a directory holding emqx-enterprise-<vsn>-<os>-<arch>.tar.gz files with their .sha256 sidecars',
        cause: e,
      },
    );
  }
  const out: ReleaseFile[] = [];
  for (const fileName of names) {
    const file = path.join(dir, fileName);
    const version = versionInName(fileName);
    if (!wanted(version)) {
      out.push({ fileName, path: file, version, ok: false, problem: 'not for this hop', details: [] });
      continue;
    }
    try {
      out.push({
        fileName,
        path: file,
        version,
        ok: true,
        tarball: await inspectRelease(file, signal ? { signal } : {}),
      });
    } catch (e) {
      if (!(e instanceof RolloutError) || e.kind !== 'bad-input') throw e;
      out.push({
        fileName,
        path: file,
        version,
        ok: false,
        problem: e.message,
        details: [...e.details, ...(e.hint ? [`fix: ${e.hint}`] : [])],
      });
    }
  }
  return out;
}

/** Why `tarball` cannot go to these nodes (the nodes that will hop), one line per mismatch. */
export function nodeMismatches(tarball: TarballInfo, facts: readonly NodeFacts[]): string[] {
  const out: string[] = [];
  for (const f of facts) {
    const bi = f.buildInfo;
    if (!bi) continue; // unknown build: preflight warns; the node itself refuses a mismatch
    if (bi.os !== tarball.os) out.push(`${f.node} runs an ${bi.os} build, the tarball is for ${tarball.os}`);
    if (bi.arch !== tarball.arch) out.push(`${f.node} is ${bi.arch}, the tarball is built for ${tarball.arch}`);
    if (otpMajor(bi.otp) !== otpMajor(tarball.otp))
      out.push(`${f.node} runs OTP ${bi.otp}, the tarball is built on OTP ${tarball.otp}`);
  }
  return out;
}

/**
 * The tarball for the hop to `target`: the first (by name) that passed its own checks and matches
 * every moving node's OS/arch/OTP. Everything else for that version is rejected with the reason.
 */
export function chooseRelease(
  dir: string,
  files: readonly ReleaseFile[],
  target: string,
  moving: readonly NodeFacts[],
): ReleaseChoice {
  const rejected: RejectedRelease[] = [];
  let chosen: TarballInfo | null = null;
  for (const f of files) {
    if (!f.ok) {
      if (f.version === target) rejected.push({ fileName: f.fileName, reason: f.problem, details: f.details });
      continue;
    }
    if (f.tarball.version !== target) {
      if (f.version === target)
        rejected.push({
          fileName: f.fileName,
          reason: `its content is ${f.tarball.version}, not ${target}`,
          details: [],
        });
      continue;
    }
    const mismatch = nodeMismatches(f.tarball, moving);
    if (mismatch.length > 0) {
      rejected.push({
        fileName: f.fileName,
        reason: `does not match the nodes (${f.tarball.os}, ${f.tarball.arch}, OTP ${f.tarball.otp})`,
        details: mismatch,
      });
      continue;
    }
    if (chosen)
      rejected.push({
        fileName: f.fileName,
        reason: `another usable tarball was chosen (${chosen.fileName})`,
        details: [],
      });
    else chosen = f.tarball;
  }
  const versions = [...new Set(files.map((f) => f.version).filter((v): v is string => v !== null))].sort();
  return { dir, target, chosen, rejected, versions };
}
