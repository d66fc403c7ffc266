// The typed event stream the engine emits. Renderers (Ink, plain, NDJSON), the journal and the
// report all subscribe to this; nothing else flows from the engine to the outside.
import type { Finding, Plan, ReportRow, StepKind, SurveyPlan } from './types.js';

export type Command = 'plan' | 'upgrade' | 'restart' | 'cleanup' | 'status' | 'logs' | 'recover-boot';

interface Base {
  /** ISO 8601, from the injected clock. */
  readonly ts: string;
}

export interface RolloutStarted extends Base {
  readonly type: 'rollout.started';
  readonly command: Command;
  readonly cluster: string;
  readonly runId: string;
  readonly nodes: readonly string[];
  readonly from?: string | null;
  readonly to?: string;
  readonly window?: string; // human form, e.g. "sat,sun 02:00–05:00 Europe/Berlin"
  readonly resumed?: boolean;
}

export interface PreflightFinding extends Base, Finding {
  readonly type: 'preflight.finding';
}

export interface PlanReady extends Base {
  readonly type: 'plan.ready';
  /** A SurveyPlan (tarball: null) only from `plan` without --tarball/--releases. */
  readonly plan: Plan | SurveyPlan;
}

/** Observed facts of one node, emitted whenever the engine (re-)observes it. */
export interface NodeObserved extends Base {
  readonly type: 'node.observed';
  readonly node: string;
  readonly reachable: boolean;
  readonly version: string | null;
  readonly relupStatus: string | null;
  readonly connections: number | null;
}

export interface StageProgressEvent extends Base {
  readonly type: 'stage.progress';
  readonly node: string;
  readonly file: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rate: number; // bytes/s
  /** Set on the last event of a file: what staging did. */
  readonly action?: 'present' | 'uploaded' | 'resumed';
  readonly done: boolean;
}

export interface StepStarted extends Base {
  readonly type: 'step.started';
  readonly node: string;
  readonly step: StepKind;
  readonly detail?: string;
}

export interface StepFinished extends Base {
  readonly type: 'step.finished';
  readonly node: string;
  readonly step: StepKind;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly message?: string;
}

export interface GateChecked extends Base {
  readonly type: 'gate.checked';
  readonly node: string;
  /** Stable check id, e.g. 'version', 'relup-status', 'marker', 'relup-log', 'cluster', 'connections', 'command:0'. */
  readonly gate: string;
  readonly phase: 'before' | 'after' | 'soak';
  readonly ok: boolean;
  readonly message: string;
  readonly evidence?: readonly string[];
  /** gate `mqtt` only: the probe's counts so far (phase 'after' with a soak to come) or final. */
  readonly probe?: MqttProbeCounts;
}

/** The MQTT continuity probe of one node (gates.mqtt). */
export interface MqttProbeCounts {
  /** Probes handed to the client (QoS 1), and how many the broker acknowledged (PUBACK). */
  readonly sent: number;
  readonly acked: number;
  /** Distinct probes that came back on the subscription. */
  readonly received: number;
  /** Not received: after the final drain, or older than the grace period in an interim check. */
  readonly lost: number;
  /** Sent recently, not back yet (interim checks only; 0 in the final one). */
  readonly pending: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly disconnects: number;
}

export interface NodeDone extends Base {
  readonly type: 'node.done';
  readonly node: string;
  readonly outcome: 'upgraded' | 'restarted' | 'skipped';
  readonly from: string | null;
  readonly to: string | null;
  readonly durationMs: number;
  readonly connectionsBefore?: number;
  readonly connectionsAfter?: number;
}

/**
 * `--pause-after N` reached and a human decides: a key / prompt on the terminal, or (with
 * `--await-approval`) `emqx-rollout approve -i INV [--reject]` from another shell. The run holds
 * the cluster lock meanwhile.
 */
export interface RolloutAwaitingApproval extends Base {
  readonly type: 'rollout.awaiting-approval';
  readonly runId: string;
  /** Nodes upgraded by this run so far. */
  readonly upgraded: number;
  /** Nodes at the target now (upgraded or skipped), of `total` in the inventory. */
  readonly done: number;
  readonly total: number;
  /** Nodes this run still has to do, `nextNode` first. */
  readonly remaining: number;
  readonly nextNode: string;
  /** ISO 8601; when it passes without a decision the run ends paused (exit 5). Null: asked on a terminal, no deadline. */
  readonly deadline: string | null;
  /** 'terminal': a key or prompt here; 'command': `emqx-rollout approve -i INV` from another shell. */
  readonly via: 'terminal' | 'command';
  /** What to do, in words: the exact approve command, or the key to press. */
  readonly hint: string;
}

/** The decision on rollout.awaiting-approval: continue with `nextNode`. `by` is user@host. */
export interface RolloutApproved extends Base {
  readonly type: 'rollout.approved';
  readonly by: string;
  readonly nextNode: string;
}

/** The decision on rollout.awaiting-approval: stop here; a rollout.paused follows (exit 5). */
export interface RolloutRejected extends Base {
  readonly type: 'rollout.rejected';
  readonly by: string;
  readonly nextNode: string;
}

export interface RolloutPaused extends Base {
  readonly type: 'rollout.paused';
  readonly reason: string;
  readonly resumeHint: string;
  readonly nextNode?: string;
}

export interface RolloutHalted extends Base {
  readonly type: 'rollout.halted';
  readonly node?: string;
  readonly check?: string;
  readonly message: string;
  readonly evidence: readonly string[];
  /** The documented recovery for this case, as steps an operator can follow. */
  readonly recovery: readonly string[];
}

export interface RolloutDone extends Base {
  readonly type: 'rollout.done';
  readonly rows: readonly ReportRow[];
  readonly durationMs: number;
}

/** Free-form information worth showing (warnings such as --no-backup, lock taken, etc.). */
export interface LogEvent extends Base {
  readonly type: 'log';
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly node?: string;
}

/** MQTT client counters: connected sessions, disconnects, messages published/received/lost. */
export interface TrafficCounts {
  readonly clients: number;
  readonly connected: number;
  readonly disconnects: number;
  readonly published: number;
  readonly received: number;
  readonly lost: number;
}

/** MQTT traffic observed by simulated clients (the demo): proves a hot upgrade keeps sessions. */
export interface TrafficEvent extends Base, TrafficCounts {
  readonly type: 'traffic';
}

export type RolloutEvent =
  | RolloutStarted
  | PreflightFinding
  | PlanReady
  | NodeObserved
  | StageProgressEvent
  | StepStarted
  | StepFinished
  | GateChecked
  | NodeDone
  | RolloutAwaitingApproval
  | RolloutApproved
  | RolloutRejected
  | RolloutPaused
  | RolloutHalted
  | RolloutDone
  | LogEvent
  | TrafficEvent;

export type EventType = RolloutEvent['type'];

/** Distributive Omit so that `emit({type: ..., ...})` type-checks per variant without `ts`. */
export type EventInput = RolloutEvent extends infer E ? (E extends RolloutEvent ? Omit<E, 'ts'> : never) : never;

export type EventSink = (e: RolloutEvent) => void;
