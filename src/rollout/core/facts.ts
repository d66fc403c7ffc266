// What observe() learns about one node: typed facts plus the raw evidence they came from.
// Facts are inputs to the pure decisions (preflight, plan, gates); they never carry behaviour.
import type {
  ClusterStatus,
  CtlStatus,
  PluginInfo,
  RelupLogRow,
  RelupStatus,
  UpgradePath,
} from '../../emqx/types.js';
import type { ExecResult } from '../../util/execResult.js';

export interface BuildInfo {
  readonly os: string;
  readonly arch: string;
  readonly otp: string;
}

export interface NodeFacts {
  readonly node: string;
  readonly host: string;
  /** false when SSH could not connect (then every other fact is null). */
  readonly reachable: boolean;
  /** Why not reachable: the connection error's one-line message. */
  readonly unreachable?: { readonly message: string; readonly details: readonly string[]; readonly code: string };
  readonly ctl: CtlStatus | null;
  /** Running version from `ctl status`; null when down or unknown. */
  readonly version: string | null;
  readonly relupStatus: RelupStatus | null;
  readonly supportedPaths: readonly UpgradePath[] | null;
  /** `relup list-supported-paths` answered 'not-registered' etc.: the raw kind. */
  readonly supportedPathsKind: string | null;
  readonly logs: readonly RelupLogRow[] | null;
  /** null: `plugins list` failed; undefined entry: not installed. */
  readonly plugins: readonly PluginInfo[] | null;
  readonly cluster: ClusterStatus | null;
  readonly connections: number | null;
  readonly marker: string | null;
  /** The marker could not be read (neither present nor absent: permission denied, odd output). */
  readonly markerUnreadable?: boolean;
  readonly patches: readonly string[] | null;
  readonly relupWritable: boolean | null;
  /** Free bytes on the filesystem holding stagingDir (or its nearest existing parent). */
  readonly stagingFreeBytes: number | null;
  /** false when stagingDir (or the ancestor `mkdir -p` would create it in) is not writable. */
  readonly stagingWritable?: boolean;
  /** false when backupDir (or the ancestor `mkdir -p` would create it in) is not writable. */
  readonly backupWritable?: boolean;
  readonly buildInfo: BuildInfo | null;
  /** sha256 of the staged tarball at stagingDir/<file>, when present. */
  readonly stagedSha256: string | null;
  readonly stagedSidecar: boolean;
  /** Every command run while observing, in order — the evidence behind the facts. */
  readonly evidence: readonly ExecResult[];
}

export function pluginOf(f: NodeFacts, name = 'emqx_relup'): PluginInfo | undefined {
  return f.plugins?.find((p) => p.name === name);
}

export function newestLogRow(f: NodeFacts): RelupLogRow | undefined {
  return f.logs && f.logs.length > 0 ? f.logs[f.logs.length - 1] : undefined;
}
