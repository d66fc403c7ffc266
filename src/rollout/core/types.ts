// Plain, versioned, serialisable data shared by plan(), the engine, the journal and the renderers.

export type Severity = 'blocker' | 'warning' | 'info';

/** One preflight finding: a stable machine reason, a human message naming the node, and the fix. */
export interface Finding {
  readonly code: string; // e.g. 'node-unreachable', 'plugin-not-running', 'hop-unsupported'
  readonly severity: Severity;
  readonly node?: string;
  readonly message: string;
  readonly fix?: string;
}

export type StepKind =
  | 'lock'
  | 'preflight'
  | 'stage'
  | 'gate-before'
  | 'backup'
  | 'upgrade'
  | 'gate-after'
  | 'soak'
  | 'evacuate'
  | 'restart'
  | 'cleanup'
  | 'recover';

export interface PlanStep {
  readonly kind: StepKind;
  /** Human one-liner: what exactly will run, e.g. the remote command. */
  readonly detail: string;
}

/** 'regate': already at the target, but its gates never passed (an earlier run halted or died
 *  after the hop): it is gated again before any further node is touched. */
export type NodeAction = 'upgrade' | 'regate' | 'skip' | 'blocked';

export interface PlanNode {
  readonly name: string;
  readonly host: string;
  /** Version observed on the node; null when unreachable. */
  readonly from: string | null;
  readonly to: string;
  readonly action: NodeAction;
  /** Why skip/blocked, in words. */
  readonly reason?: string;
  readonly steps: readonly PlanStep[];
  readonly findings: readonly Finding[];
  /** Where the node keeps config, data and logs, and who it runs as (inventory, else discovered; facts A3). */
  readonly layout?: PlanLayout;
}

export interface PlanLayout {
  readonly relform: 'tgz' | 'deb' | 'rpm' | null;
  readonly rootDir: string;
  readonly etcDir: string;
  readonly dataDir: string;
  readonly logDir: string;
  /** '' → whoever starts it (tarball install); null → unknown. */
  readonly runnerUser: string | null;
  /** Where each dir came from: inventory, process, emqx_vars, relform default, tarball default. */
  readonly sources: { readonly etcDir: string; readonly dataDir: string; readonly logDir: string };
  readonly become?: string;
}

export interface TarballInfo {
  readonly path: string; // local absolute path
  readonly fileName: string;
  readonly sha256: string;
  readonly size: number;
  readonly version: string; // REL_VSN
  readonly os: string;
  readonly arch: string;
  readonly otp: string; // BUILD_INFO erlang, e.g. 27.3.4.2-8
  /**
   * Uncompressed sizes (facts A4): `U`, every member (what the handler extracts under the VM's
   * TMP), and `R`, the `bin`+`lib`+`releases`+`erts-*` part (what it copies into <RootDir>/relup/<T>/).
   * Optional: older callers and fixtures build TarballInfo by hand.
   */
  readonly uncompressedBytes?: number;
  readonly releaseBytes?: number;
  /** The tarball's releases/emqx_vars text: the locations a node restarted into its relup tree boots with (A3). */
  readonly emqxVars?: string;
}

export const PLAN_SCHEMA_VERSION = 1;

export interface Plan {
  readonly schemaVersion: typeof PLAN_SCHEMA_VERSION;
  readonly cluster: string;
  readonly from: string | null; // the common from-version, when there is one
  readonly to: string;
  readonly tarball: TarballInfo;
  /** sha256 over (cluster, node names+hosts, observed versions, tarball sha) — see plan.ts. */
  readonly fingerprint: string;
  readonly nodes: readonly PlanNode[];
  readonly findings: readonly Finding[];
  /** true when no finding is a blocker. */
  readonly canProceed: boolean;
}

/** One row of the final report. */
export interface ReportRow {
  readonly node: string;
  readonly from: string | null;
  readonly to: string | null;
  /** removed: `cleanup` deleted staged files there; cleared: `logs --clear` cleared its relup logs. */
  readonly outcome: 'upgraded' | 'restarted' | 'skipped' | 'failed' | 'untouched' | 'removed' | 'cleared';
  readonly staged?: 'present' | 'uploaded' | 'resumed';
  readonly backup?: string; // remote archive path, or 'skipped'
  readonly durationMs?: number;
  readonly gatesPassed: number;
  readonly gatesTotal: number;
  readonly connectionsBefore?: number;
  readonly connectionsAfter?: number;
}
