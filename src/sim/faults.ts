// Injectable faults of a simulated node. They live in `<BaseRootDir>/.sim/faults.json` and are
// read at every command, so a test can flip them between two `emqx ctl` calls.
//
// Some faults act on real files rather than on the daemon's behaviour, so the orchestrator sees
// them the way it would on a real host:
// - stalePatches writes `<dataDir>/patches/emqx_foo.beam` (removed again when the fault is cleared);
//   dataDir is `<RootDir>/data` (tarball layout) or the package layout's separate data dir;
// - memLowKb writes `.sim/mem_available_kb`, which the `free` shim reports (shims.ts);
// - sudoPolicy/sudoPassword write `.sim/sudoers`, the policy of the `sudo` shim (shims.ts);
// - diskFull writes `.sim/df_avail_kb`, which the `df` shim (see dfShim.ts; the cluster puts it
//   first in PATH of every SSH session) reports as the available space of any path;
// - relupNotWritable also sets `<RootDir>/relup` to mode 0555 (0755 again when cleared). Root
//   ignores mode bits, so the daemon still fails the write by the flag; the mode is what an
//   orchestrator probing over SSH can see (observe.ts checks the owner's write bit for that reason).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { dfAvailPath, faultsPath, memAvailablePath, simDir, sudoersPath } from './layout.js';
import { readNodeConfig } from './nodeConfig.js';

export interface Faults {
  /** The node's own sha256 of the staged tarball disagrees with the sidecar (a corrupted copy). */
  readonly shaMismatch: boolean;
  /** The plugin's catalog lacks the hop from the running version. */
  readonly unsupportedPath: boolean;
  /** emqx_relup installed but stopped: `relup` is not a registered ctl command. */
  readonly pluginStopped: boolean;
  /** emqx_relup not installed. */
  readonly pluginMissing: boolean;
  /** '1.0.1' (default: the 5.10.4→5.10.5 hop, --force) or '1.0.0' (empty catalog, old usage). */
  readonly pluginVersion: string;
  /** A stale hot-patch `data/patches/emqx_foo.beam`. */
  readonly stalePatches: boolean;
  /** An exception in code_changes: the VM restarts on the old tree (facts §1.4). */
  readonly crashDuringCodeChange: boolean;
  /** The node does not answer pings (every ctl command fails as on a stopped node). */
  readonly nodeDown: boolean;
  /** Extra seconds spent in the perform stage (status shows `in-progress` meanwhile). */
  readonly slowUpgradeSeconds: number;
  /** Right after a successful hop the node goes to `stopping` and then exits. */
  readonly notRunningAfterUpgrade: boolean;
  /** The hop succeeds but drops every MQTT connection. */
  readonly dropConnectionsOnUpgrade: boolean;
  /** `<RootDir>/relup` is not writable (root ignores mode bits, so this is simulated). */
  readonly relupNotWritable: boolean;
  /** false, true (1 MiB free) or the free space in KiB the `df` shim reports. */
  readonly diskFull: boolean | number;
  /**
   * Case B of facts A2: `cp -Rp` into `<RootDir>/relup/<T>/` fails (ENOSPC) after a partial copy →
   * `sh_aborted`, a non-map reason: empty stdout, exit 1, log row stays `in-progress`, no code change.
   */
  readonly deployFails: boolean;
  /**
   * Case A of facts A2: writing `<RootDir>/relup/current` fails with enospc after the code change:
   * empty stdout, exit 1, the node runs the target, no marker, log row stays `in-progress`.
   */
  readonly markerWriteFails: boolean;
  /** With crashDuringCodeChange: the caller sees empty output (exit 1) instead of `RPC to … failed: nodedown`. */
  readonly vmRestartEmptyOutput: boolean;
  /** After every boot (start or VM restart): `Command table is initializing.` for this long. */
  readonly bootInitializingMs: number;
  /** Then `No commands available.` for this long. */
  readonly bootNoCommandsMs: number;
  /** Then every command but `relup` (not registered yet: usage form, exit 1) for this long. */
  readonly bootRelupMissingMs: number;
  /**
   * false, or MemAvailable in KiB: the `free` shim reports it, and a `relup upgrade` whose tarball is
   * larger takes the VM down (the sha256 input is the whole tarball in memory, facts A4).
   */
  readonly memLowKb: false | number;
  /** The simulated sudoers policy of the `sudo` shim (package-layout sandboxes). */
  readonly sudoPolicy: 'nopasswd' | 'password' | 'deny';
  /** The password `sudo -S` accepts under sudoPolicy 'password'. */
  readonly sudoPassword: string;
  /** Multiplies the evacuation's waits (wait_health_check, wait_takeover, the 1 s eviction tick). */
  readonly evacuationTimeScale: number;
}

export const NO_FAULTS: Faults = Object.freeze({
  shaMismatch: false,
  unsupportedPath: false,
  pluginStopped: false,
  pluginMissing: false,
  pluginVersion: '1.0.1',
  stalePatches: false,
  crashDuringCodeChange: false,
  nodeDown: false,
  slowUpgradeSeconds: 0,
  notRunningAfterUpgrade: false,
  dropConnectionsOnUpgrade: false,
  relupNotWritable: false,
  diskFull: false,
  deployFails: false,
  markerWriteFails: false,
  vmRestartEmptyOutput: false,
  bootInitializingMs: 0,
  bootNoCommandsMs: 0,
  bootRelupMissingMs: 0,
  memLowKb: false,
  sudoPolicy: 'nopasswd',
  sudoPassword: 'sim-sudo-password',
  evacuationTimeScale: 1,
});

/** Free space reported under diskFull: true (1 MiB: less than any tarball). */
export const DISK_FULL_KB = 1024;
const STALE_BEAM = 'emqx_foo.beam';

export function readFaults(baseRoot: string): Faults {
  try {
    return { ...NO_FAULTS, ...(JSON.parse(readFileSync(faultsPath(baseRoot), 'utf8')) as Partial<Faults>) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return NO_FAULTS;
    throw e;
  }
}

/** Merges `faults` into the node's current faults and applies their file effects. */
export async function setFaults(rootDir: string, faults: Partial<Faults>): Promise<Faults> {
  mkdirSync(simDir(rootDir), { recursive: true });
  const next: Faults = { ...readFaults(rootDir), ...faults };
  const tmp = `${faultsPath(rootDir)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(next, null, 2));
  await rename(tmp, faultsPath(rootDir));
  await applyFileEffects(rootDir, next);
  return next;
}

export async function clearFaults(rootDir: string): Promise<void> {
  await rm(faultsPath(rootDir), { force: true });
  await applyFileEffects(rootDir, NO_FAULTS);
}

async function applyFileEffects(rootDir: string, f: Faults): Promise<void> {
  // the relup handler checks emqx:data_dir()/patches: <RootDir>/data (tarball) or /var/lib/emqx (package)
  const patches = join(readNodeConfig(rootDir).dataDir ?? join(rootDir, 'data'), 'patches');
  if (f.stalePatches) {
    await mkdir(patches, { recursive: true });
    await writeFile(join(patches, STALE_BEAM), 'FOR1\0\0\0\0BEAM');
  } else {
    await rm(join(patches, STALE_BEAM), { force: true });
  }
  const relup = join(rootDir, 'relup');
  if (f.relupNotWritable) {
    await mkdir(relup, { recursive: true });
    await chmod(relup, 0o555);
  } else if (existsSync(relup)) {
    await chmod(relup, 0o755);
  }
  if (f.diskFull === false || f.diskFull === 0) await rm(dfAvailPath(rootDir), { force: true });
  else await writeFile(dfAvailPath(rootDir), String(f.diskFull === true ? DISK_FULL_KB : Math.floor(f.diskFull)));
  if (f.memLowKb === false) await rm(memAvailablePath(rootDir), { force: true });
  else await writeFile(memAvailablePath(rootDir), String(Math.floor(f.memLowKb)));
  await writeFile(sudoersPath(rootDir), `policy ${f.sudoPolicy}\npassword ${f.sudoPassword}\n`, { mode: 0o600 });
}
