// Injectable faults of a simulated node. They live in `<BaseRootDir>/.sim/faults.json` and are
// read at every command, so a test can flip them between two `emqx ctl` calls.
//
// Two faults act on real files rather than on the daemon's behaviour, so the orchestrator sees
// them the way it would on a real host:
// - stalePatches writes `data/patches/emqx_foo.beam` (removed again when the fault is cleared);
// - diskFull writes `.sim/df_avail_kb`, which the `df` shim (see dfShim.ts; the cluster puts it
//   first in PATH of every SSH session) reports as the available space of any path;
// - relupNotWritable also sets `<RootDir>/relup` to mode 0555 (0755 again when cleared). Root
//   ignores mode bits, so the daemon still fails the write by the flag; the mode is what an
//   orchestrator probing over SSH can see (observe.ts checks the owner's write bit for that reason).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { dfAvailPath, faultsPath, simDir } from './layout.js';

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
  const patches = join(rootDir, 'data', 'patches');
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
}
