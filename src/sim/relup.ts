// `relup upgrade` stage 1–2 (check_and_unpack + deploy) on the real files, in the real order
// (emqx_relup_handler @ release-510, facts §1.4 table). Each failure throws a RelupFailure
// carrying the Erlang reason map the CLI prints; `stage => check_and_unpack` is part of it.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as tar from 'tar';
import { amap, atom, bin, int, list, smap, str, tuple, type ETerm } from './erlTerm.js';
import type { Faults } from './faults.js';
import { catalogTerm } from './outputs.js';
import type { CatalogEntry } from './state.js';

export class RelupFailure extends Error {
  constructor(
    readonly reason: ETerm,
    /** The target version if it was known when the check failed (log row `-> <target>`). */
    readonly target: string | null,
  ) {
    super('relup failure');
  }
}

/**
 * A failure whose reason is not a map (facts A2): the main module's `Reason#{stage => …}` raises
 * badmap, the gen_server dies before the log row is finished, and the caller gets empty output, exit 1.
 */
export class NonMapFailure extends Error {
  constructor(readonly reason: 'sh_aborted' | 'enospc') {
    super(`non-map relup failure: ${reason}`);
  }
}

/** The VM ran out of memory reading the tarball into one binary (facts A4): the whole node goes down. */
export class VmOutOfMemory extends Error {
  constructor(readonly bytes: number) {
    super(`eheap_alloc: Cannot allocate ${bytes} bytes of memory (of type "heap").`);
  }
}

export interface UpgradeContext {
  /** BASE_RUNNER_ROOT_DIR: the node's cwd. */
  readonly baseRoot: string;
  /** emqx:data_dir(): `<base>/data` (tarball) or the package's data dir; `patches/` lives here. */
  readonly dataDir: string;
  /** code:root_dir(): the tree the node booted from (`relup/<T>/` after a restart into it). */
  readonly bootRoot: string;
  readonly runningVsn: string;
  readonly pluginVsn: string;
  readonly catalog: readonly CatalogEntry[];
  readonly faults: Faults;
  /** `$TMPDIR|$TEMP|$TMP|/tmp` of the node process. */
  readonly tmpDir: string;
  /**
   * Package layout: the VM runs as the service user, a different (simulated) user from whoever staged
   * the tarball, so it reads the tarball and sidecar only through their "other" permission bits
   * (r on the file, x on every parent dir). The simulator's processes all run as one OS user, so this
   * is checked on the mode bits.
   */
  readonly otherUserReads?: boolean;
}

/** Readable by a user who is neither the owner nor in the group: o+r on the file, o+x on each parent. */
export async function readableByOthers(path: string): Promise<boolean> {
  try {
    if (((await stat(path)).mode & 0o004) === 0) return false;
    for (let d = dirname(path); ; d = dirname(d)) {
      if (((await stat(d)).mode & 0o001) === 0) return false;
      if (d === dirname(d)) return true;
    }
  } catch {
    return false;
  }
}

export interface Unpacked {
  readonly target: string;
  readonly extractDir: string;
}

const HINT_PATCHES =
  'hot-patch beam files in this dir will shadow modules from the upgrade target. Delete them if the target already contains those fixes; re-run with --force if you intend the patches to remain applied on top of the target.';
const HINT_DUPLICATE =
  'this exact target is already deployed and pending node restart; restart the node, or remove the marker file to retry';
/** The relup handler deploys only these (runtime_subdirs/1): data/, etc/, log/, plugins/ would mislead. */
const RUNTIME_DIRS = ['bin', 'lib', 'releases'];

function fail(fields: Record<string, ETerm>, target: string | null = null): never {
  throw new RelupFailure(amap({ ...fields, stage: atom('check_and_unpack') }), target);
}

function errnoAtom(e: unknown): ETerm {
  return atom(((e as NodeJS.ErrnoException).code ?? 'unknown').toLowerCase());
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** read_build_info: split each line at `:`, trim only spaces and `"` — values keep `"\n` (§1.5 quirk). */
export function parseBuildInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const trim = (s: string): string => s.replace(/^[ "]+|[ "]+$/g, '');
    out[trim(line.slice(0, i))] = trim(line.slice(i + 1));
  }
  return out;
}

const buildInfoTerm = (b: Record<string, string>): ETerm =>
  smap(Object.fromEntries(Object.entries(b).map(([k, v]) => [k, str(v)])));
const clean = (v: string | undefined): string => (v ?? '').replace(/["\n]/g, '').trim();

function exception(reason: ETerm, fn: string, line: number): never {
  fail({
    err_type: atom('exception'),
    reason: tuple([atom('error'), reason]),
    stacktrace: list([
      tuple([
        atom('emqx_relup_handler'),
        atom(fn),
        int(1),
        list([tuple([atom('file'), str('emqx_relup_handler.erl')]), tuple([atom('line'), int(line)])]),
      ]),
    ]),
  });
}

export async function checkAndUnpack(ctx: UpgradeContext, tarballArg: string, force: boolean): Promise<Unpacked> {
  // 1. stale hot-patches (plugin 1.0.1; 1.0.0 has no such check)
  if (ctx.pluginVsn !== '1.0.0' && !force) {
    const dir = join(ctx.dataDir, 'patches');
    const beams = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.beam')).sort() : [];
    if (beams.length > 0) {
      fail({
        dir: bin(dir),
        err_type: atom('patches_dir_not_empty'),
        files: list(beams.map(bin)),
        hint: bin(HINT_PATCHES),
      });
    }
  }
  // 2. tarball is a regular file (paths resolve in the VM's cwd: the base root)
  const tarball = isAbsolute(tarballArg) ? tarballArg : resolve(ctx.baseRoot, tarballArg);
  const st = await stat(tarball).catch(() => null);
  if (!st?.isFile()) fail({ err_type: atom('target_tarball_not_found'), file: str(tarballArg) });
  // 3. sidecar
  const sidecarArg = `${tarballArg}.sha256`;
  const sidecar = `${tarball}.sha256`;
  if (!existsSync(sidecar)) fail({ err_type: atom('missing_sha256_sidecar'), file: str(sidecarArg) });
  let sideText: string;
  try {
    if (ctx.otherUserReads && !(await readableByOthers(sidecar)))
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    sideText = await readFile(sidecar, 'latin1');
  } catch (e) {
    fail({ err_type: atom('cannot_read_sha256_sidecar'), file: str(sidecarArg), reason: errnoAtom(e) });
  }
  const m = /^[0-9a-fA-F]{64}/.exec(sideText);
  if (!m) fail({ err_type: atom('invalid_sha256_sidecar'), file: str(sidecarArg) });
  const expected = m[0].toLowerCase();
  // the handler reads the whole tarball into one binary to hash it
  if (ctx.faults.memLowKb !== false && st.size > ctx.faults.memLowKb * 1024) throw new VmOutOfMemory(st.size);
  // [guess] file:read_file/1 of the tarball failing: the badmatch of `{ok, Bin} = …` as an exception map
  if (ctx.otherUserReads && !(await readableByOthers(tarball))) {
    exception(tuple([atom('badmatch'), tuple([atom('error'), atom('eacces')])]), 'sha256_of_file', 339);
  }
  let actual = await sha256Of(tarball);
  if (ctx.faults.shaMismatch) actual = createHash('sha256').update(`corrupted:${actual}`).digest('hex');
  if (actual !== expected) {
    fail({
      actual: bin(actual),
      err_type: atom('sha256_mismatch'),
      expected: bin(expected),
      file: str(tarballArg),
      sidecar: str(sidecarArg),
    });
  }
  // 4. extract (a cache keyed by the digest, never cleaned up)
  const extractDir = join(ctx.tmpDir, `emqx_relup_${actual.slice(0, 16)}`);
  const varsFile = join(extractDir, 'releases', 'emqx_vars');
  if (!existsSync(varsFile)) {
    try {
      await mkdir(extractDir, { recursive: true });
      await tar.x({ file: tarball, cwd: extractDir, strict: true });
    } catch (e) {
      exception(tuple([atom('extract_failed'), errnoAtom(e)]), 'extract_tarball', 201);
    }
  }
  // 5. REL_VSN
  let vars: string;
  try {
    vars = await readFile(varsFile, 'utf8');
  } catch (e) {
    fail({ err_type: atom('cannot_read_emqx_vars'), file: str(varsFile), reason: errnoAtom(e) });
  }
  const vm = /^REL_VSN="([^"]+)"/m.exec(vars);
  if (!vm) fail({ err_type: atom('rel_vsn_not_found'), file: str(varsFile) });
  const target = vm[1];
  // 6. the same target already deployed and pending restart (a different one chains: allowed)
  const relupDir = join(ctx.bootRoot, 'relup');
  const markerFile = join(relupDir, 'current');
  const marker = await readFile(markerFile, 'utf8').catch(() => null);
  if (marker !== null && marker.trim() === target) {
    fail(
      {
        err_type: atom('duplicate_pending_target'),
        hint: bin(HINT_DUPLICATE),
        marker_file: bin(markerFile),
        pending_target: bin(marker.trim()),
      },
      target,
    );
  }
  // 7. already there
  if (ctx.runningVsn === target) fail({ err_type: atom('already_upgraded_to_target_vsn'), vsn: str(target) }, target);
  // 8. relup/ writable: write then delete relup/relup_test_perm
  try {
    await mkdir(relupDir, { recursive: true });
  } catch {
    fail({ dir: str(relupDir), err_type: atom('cannot_create_dir') }, target);
  }
  const probe = join(relupDir, 'relup_test_perm');
  try {
    if (ctx.faults.relupNotWritable) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    await writeFile(probe, 'test');
    await unlink(probe);
  } catch {
    fail({ dir: str(relupDir), err_type: atom('no_write_permission') }, target);
  }
  // 9. OTP / OS compatibility from both BUILD_INFOs
  const currInfoText = await readFile(join(ctx.bootRoot, 'releases', ctx.runningVsn, 'BUILD_INFO'), 'latin1').catch(
    () => null,
  );
  // A chained hop before restart lands here: <root>/releases/<new running vsn>/ doesn't exist (§1.9).
  if (currInfoText === null)
    exception(tuple([atom('badmatch'), tuple([atom('error'), atom('enoent')])]), 'read_build_info', 312);
  const newInfoText = await readFile(join(extractDir, 'releases', target, 'BUILD_INFO'), 'latin1').catch(() => null);
  if (newInfoText === null)
    exception(tuple([atom('badmatch'), tuple([atom('error'), atom('enoent')])]), 'read_build_info', 312);
  const curr = parseBuildInfo(currInfoText);
  const next = parseBuildInfo(newInfoText);
  const major = (b: Record<string, string>): string => clean(b.erlang).split('.')[0];
  if (major(curr) !== major(next)) {
    fail({ curr: str(major(curr)), err_type: atom('otp_major_vsn_mismatch'), new: str(major(next)) }, target);
  }
  const libDir = join(extractDir, 'lib');
  const mnesiaDirs = existsSync(libDir) ? (await readdir(libDir)).filter((d) => d.startsWith('mnesia-')) : [];
  for (const d of mnesiaDirs) {
    if (!existsSync(join(libDir, d, 'ebin', 'mnesia_hook.beam'))) {
      fail(
        {
          err_type: atom('otp_compatible_mismatch'),
          hint: bin(
            "Please make sure the running emqx is built using EMQX's official Erlang/OTP, and also the hot-upgrade package is got from EMQX team.",
          ),
        },
        target,
      );
    }
  }
  if (clean(curr.os) !== clean(next.os) || clean(curr.arch) !== clean(next.arch)) {
    fail({ curr: buildInfoTerm(curr), err_type: atom('os_arch_mismatch'), new: buildInfoTerm(next) }, target);
  }
  // 10. both emqx.rel files
  for (const f of [
    join(ctx.bootRoot, 'releases', ctx.runningVsn, 'emqx.rel'),
    join(extractDir, 'releases', target, 'emqx.rel'),
  ]) {
    try {
      await readFile(f);
    } catch (e) {
      fail({ err_type: atom('failed_to_read_rel_file'), file: str(f), reason: errnoAtom(e) }, target);
    }
  }
  // 11. deploy bin lib releases erts-* to relup/<T>/ (previous copy deleted) — BEFORE the catalog
  //     lookup, so an unsupported hop still leaves relup/<T>/ on disk (§1.4 notes, step 11).
  //     `mkdir -p` / `cp -Rp` failing (ENOSPC, EACCES, …) is case B of facts A2: sh_aborted.
  const dest = join(relupDir, target);
  await rm(dest, { recursive: true, force: true });
  try {
    await mkdir(dest, { recursive: true });
    const top = (await readdir(extractDir)).filter((n) => RUNTIME_DIRS.includes(n) || n.startsWith('erts-')).sort();
    for (const [i, d] of top.entries()) {
      if (ctx.faults.deployFails && i === 1)
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      await cp(join(extractDir, d), join(dest, d), { recursive: true, preserveTimestamps: true });
    }
  } catch (e) {
    throw Object.assign(new NonMapFailure('sh_aborted'), {
      details: `sh: run command failed: cp -Rp ...: ${String(e)}`,
    });
  }
  // 12. catalog
  if (!ctx.catalog.some((c) => c.from === ctx.runningVsn && c.target === target)) {
    fail(
      {
        err_type: atom('no_relup_entry'),
        from_vsn: str(ctx.runningVsn),
        supported_paths: catalogTerm(ctx.catalog),
        target_vsn: str(target),
      },
      target,
    );
  }
  return { target, extractDir };
}

const two = (n: number): string => String(n).padStart(2, '0');

/** write_troubleshoot_file("relup", …): `relup_YYYY-MM-DD_HH-MM-SS` in the node's cwd (base root). */
export async function writeTroubleshootFile(
  baseRoot: string,
  nowMs: number,
  from: string,
  target: string,
): Promise<string> {
  const d = new Date(nowMs);
  const name = `relup_${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}_${two(d.getHours())}-${two(d.getMinutes())}-${two(d.getSeconds())}`;
  const body = [
    `%% hot upgrade ${from} -> ${target}`,
    '{load_module,emqx_release}.',
    '{apply,emqx_bpapi,announce,[node(),emqx]}.',
    `{write_file,"relup/current","${target}"}.`,
    '',
  ].join('\n');
  await writeFile(join(baseRoot, name), body);
  return name;
}
