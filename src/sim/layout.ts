// Where a simulated node keeps its private files. Everything lives under `<BaseRootDir>/.sim/`
// (BaseRootDir = the install root, `BASE_RUNNER_ROOT_DIR`), so a node survives stop/start and a
// hot-upgrade re-exec (which changes RUNNER_ROOT_DIR but never the base).
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const simDir = (baseRoot: string): string => join(baseRoot, '.sim');
/** Persistent "mnesia disc_copies": log rows, catalog. */
export const statePath = (baseRoot: string): string => join(simDir(baseRoot), 'state.json');
/** Written by tests / the cluster; read at every command. */
export const faultsPath = (baseRoot: string): string => join(simDir(baseRoot), 'faults.json');
/** Node identity: Erlang node name, MQTT listener, cluster file. */
export const nodeConfigPath = (baseRoot: string): string => join(simDir(baseRoot), 'node.json');
export const pidPath = (baseRoot: string): string => join(simDir(baseRoot), 'daemon.pid');
/** Free space the `df` shim reports for this node, in 1K blocks (the diskFull fault). */
export const dfAvailPath = (baseRoot: string): string => join(simDir(baseRoot), 'df_avail_kb');
/** MemAvailable the `free` shim reports, in KiB (the memLowKb fault). */
export const memAvailablePath = (baseRoot: string): string => join(simDir(baseRoot), 'mem_available_kb');
/** The simulated sudoers policy the `sudo` shim reads (the sudoPolicy fault). */
export const sudoersPath = (baseRoot: string): string => join(simDir(baseRoot), 'sudoers');
/** Present: bin/emqx run by real root uses the real `su -` (the service user is a real account). */
export const realSuPath = (baseRoot: string): string => join(simDir(baseRoot), 'real_su');
/** emqx_node_rebalance_evacuation_persist: `<data_dir>/.evacuation` (facts A1). */
export const evacuationFile = (dataDir: string): string => join(dataDir, '.evacuation');

/**
 * Unix socket of the node daemon. sun_path holds 108 bytes on Linux; paths of ≥100 chars go to
 * /tmp keyed by a hash of the base root (deterministic, so the CLI finds it without state).
 */
export function socketPath(baseRoot: string): string {
  const p = join(simDir(baseRoot), 'd.sock');
  if (Buffer.byteLength(p) < 100) return p;
  const h = createHash('sha256').update(baseRoot).digest('hex').slice(0, 16);
  return join(tmpdir().length < 40 ? tmpdir() : '/tmp', `emqxsim-${h}.sock`);
}
