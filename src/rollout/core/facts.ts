// What observe() learns about one node: typed facts plus the raw evidence they came from.
// Facts are inputs to the pure decisions (preflight, plan, gates); they never carry behaviour.
import type { ClusterStatus, CtlStatus, PluginInfo, RelupLogRow, RelupStatus, UpgradePath } from '../../emqx/types.js';
import type { ExecResult } from '../../util/execResult.js';
import type { EmqxVars, NodeLayout, Workspace } from '../../emqx/parse/layout.js';
import type { PrivilegeProblem } from '../../emqx/parse/privilege.js';

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
  /**
   * gate-before of a tarball this run staged and verified: its size and the digest its sidecar names,
   * instead of a third sha256 (observe/node.ts PhaseOptions.staged says why).
   */
  readonly stagedBySize?: { readonly size: number | null; readonly sidecar: string | null };
  // ---- real installs (facts A1, A3, A4); optional so hand-built facts stay valid ----
  /** sudo or bin/emqx check_user refused the node's commands: nothing else observed means anything. */
  readonly privilege?: PrivilegeProblem;
  /** Where the node keeps etc/data/log and who it runs as (inventory, else discovered). */
  readonly layout?: NodeLayout;
  /** relup/<vsn>/releases/emqx_vars of every tree deployed on the node, parsed, by vsn. */
  readonly relupVars?: Readonly<Record<string, EmqxVars>>;
  /** The handler's workspace, when a tarball was given (its sha256 names the extraction cache). */
  readonly workspace?: Workspace;
  /** Mount point of stagingDir's filesystem (df), to add up places that share it. */
  readonly stagingMount?: string;
  /** `<dataDir>/.evacuation` exists: an evacuation is persisted and resumes at every boot (A1). */
  readonly evacuationPersisted?: boolean;
  /** relup/current exists but is empty (a failed marker write, A2 case A): bin/emqx would exec relup//bin/emqx. */
  readonly markerEmpty?: boolean;
  /** Count of the handler's troubleshoot files `<RootDir>/relup_YYYY-MM-DD_HH-MM-SS` (A2, A4). */
  readonly troubleshootFiles?: number;
  /** The staged tarball and sidecar as the EMQX service user sees them (only when both are staged). */
  readonly stagedReadable?: { readonly ok: boolean; readonly message: string };
  /** Every command run while observing, in order — the evidence behind the facts. */
  readonly evidence: readonly ExecResult[];
}

export function pluginOf(f: NodeFacts, name = 'emqx_relup'): PluginInfo | undefined {
  return f.plugins?.find((p) => p.name === name);
}

export function newestLogRow(f: NodeFacts): RelupLogRow | undefined {
  return f.logs && f.logs.length > 0 ? f.logs[f.logs.length - 1] : undefined;
}
