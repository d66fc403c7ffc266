// Plain, versioned, serialisable data shared by plan(), the engine, the journal and the renderers.
import type { PlanExtras, PlanNodeExtras } from '../plan/types.js';

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

export interface PlanNode extends PlanNodeExtras {
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
}

export type { TarballInfo } from '../../release/types.js';
import type { TarballInfo } from '../../release/types.js';

/** 2: hops, estimate, schedule and releases added (plan/types.ts); every field of 1 kept. */
export const PLAN_SCHEMA_VERSION = 2;

export interface Plan extends PlanExtras {
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

/**
 * `plan` without a tarball (schema 2): the hops each node can take and, with `--to`, whether every
 * node has a hot hop there; no tarball, so no fingerprint and nothing to execute.
 */
export interface SurveyPlan extends Omit<Plan, 'tarball' | 'to' | 'fingerprint' | 'nodes'> {
  readonly tarball: null;
  readonly to: string | null;
  readonly fingerprint: null;
  readonly nodes: readonly SurveyPlanNode[];
}

export interface SurveyPlanNode extends Omit<PlanNode, 'to'> {
  readonly to: string | null;
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
