// The view state: everything the renderers draw, derived only from events (reducer.ts).
// Plain immutable data; the live clock is not in here — renderers pass `now` to the helpers below.
import type { Command, TrafficCounts } from '../rollout/core/events.js';
import type { Finding, ReportRow, StepKind } from '../rollout/core/types.js';

export type NodeState =
  | 'pending' // known, nothing happened yet
  | 'observing' // lock / preflight reads
  | 'staging' // tarball upload or checksum in progress
  | 'staged' // tarball verified on the node
  | 'waiting' // staged, waiting for its turn in the one-at-a-time phase
  | 'upgrading' // backup, relup upgrade, restart, …
  | 'gating' // gates before/after
  | 'soaking' // soak wait and re-check
  | 'done'
  | 'skipped'
  | 'failed'
  | 'untouched'; // the run halted before this node was touched

export type GatePhase = 'before' | 'after' | 'soak';

export interface GateView {
  readonly id: string;
  readonly phase: GatePhase;
  readonly ok: boolean;
  readonly message: string;
}

export interface StagingView {
  readonly file: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rate: number; // bytes/s
  readonly done: boolean;
  readonly action?: 'present' | 'uploaded' | 'resumed';
}

export interface NodeView {
  readonly name: string;
  readonly state: NodeState;
  /** How the node finished, once it did (node.done / the report row). */
  readonly outcome: 'upgraded' | 'restarted' | 'skipped' | null;
  readonly step: StepKind | null;
  readonly detail: string | null;
  /** Outcome of `step` once it finished (null while it runs). */
  readonly stepResult: { readonly ok: boolean; readonly durationMs: number } | null;
  /** Last failure or skip reason, in words. */
  readonly message: string | null;
  readonly version: string | null;
  readonly from: string | null;
  readonly to: string | null;
  readonly reachable: boolean | null;
  readonly gates: readonly GateView[];
  readonly staging: StagingView | null;
  readonly connectionsBefore: number | null;
  readonly connectionsNow: number | null;
  /** ms epoch of the first step in the one-at-a-time phase (or first step at all). */
  readonly startedAt: number | null;
  readonly durationMs: number | null;
}

export interface HeaderView {
  readonly command: Command;
  readonly cluster: string;
  readonly runId: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly window: string | null;
  readonly resumed: boolean;
  readonly startedAt: number; // ms epoch
}

export interface HaltView {
  readonly node: string | null;
  readonly check: string | null;
  readonly message: string;
  readonly evidence: readonly string[];
  readonly recovery: readonly string[];
}

export interface PausedView {
  readonly reason: string;
  readonly resumeHint: string;
  readonly nextNode: string | null;
}

/** A run stopped at `--pause-after` waiting for a human's go (rollout.awaiting-approval). */
export interface AwaitingView {
  readonly upgraded: number;
  readonly done: number;
  readonly total: number;
  readonly nextNode: string;
  /** ms epoch, or null without a deadline (asked on the terminal). */
  readonly deadline: number | null;
  readonly via: 'terminal' | 'command';
  readonly hint: string;
}

export interface DoneView {
  readonly rows: readonly ReportRow[];
  readonly durationMs: number;
}

export type TrafficView = TrafficCounts;

export interface PlanSummary {
  readonly upgrade: number;
  readonly skip: number;
  readonly blocked: number;
  readonly canProceed: boolean;
}

/** Lines that are final once they happen: printed once above the live region (Ink `<Static>`). */
export type SettledItem =
  | { readonly id: number; readonly kind: 'node'; readonly node: NodeView }
  | { readonly id: number; readonly kind: 'finding'; readonly finding: Finding }
  | {
      readonly id: number;
      readonly kind: 'log';
      readonly level: 'info' | 'warn';
      readonly message: string;
      readonly node: string | null;
    };

export type Phase = 'idle' | 'running' | 'paused' | 'halted' | 'done';

export interface ViewState {
  readonly phase: Phase;
  readonly header: HeaderView | null;
  /** In inventory order (from rollout.started; nodes first seen later are appended). */
  readonly nodes: readonly NodeView[];
  readonly settled: readonly SettledItem[];
  readonly findings: readonly Finding[];
  readonly plan: PlanSummary | null;
  readonly halt: HaltView | null;
  readonly paused: PausedView | null;
  /** Set while the run waits for approval; cleared by the decision. */
  readonly awaiting: AwaitingView | null;
  readonly done: DoneView | null;
  readonly traffic: TrafficView | null;
  /** ms epoch of the newest event seen; the clock when the renderer has no live one. */
  readonly lastEventAt: number | null;
}

export function initialState(): ViewState {
  return {
    phase: 'idle',
    header: null,
    nodes: [],
    settled: [],
    findings: [],
    plan: null,
    halt: null,
    paused: null,
    awaiting: null,
    done: null,
    traffic: null,
    lastEventAt: null,
  };
}

export function newNode(name: string): NodeView {
  return {
    name,
    state: 'pending',
    outcome: null,
    step: null,
    detail: null,
    stepResult: null,
    message: null,
    version: null,
    from: null,
    to: null,
    reachable: null,
    gates: [],
    staging: null,
    connectionsBefore: null,
    connectionsNow: null,
    startedAt: null,
    durationMs: null,
  };
}

/** States that end a node's part in this run. */
export const FINAL_STATES: ReadonlySet<NodeState> = new Set(['done', 'skipped', 'failed', 'untouched']);

/** The states in which something is moving on the node (the spinner shows). */
export const ACTIVE_STATES: ReadonlySet<NodeState> = new Set([
  'observing',
  'staging',
  'upgrading',
  'gating',
  'soaking',
]);

/**
 * Elapsed run time. While the run is live the renderer passes its clock; once the run is over
 * (done/halted/paused) the clock stops at the last event so the final frame does not keep ticking.
 */
export function elapsedMs(s: ViewState, now?: number): number {
  if (!s.header) return 0;
  if (s.done) return s.done.durationMs;
  const live = s.phase === 'running' && now !== undefined;
  const end = live ? now : (s.lastEventAt ?? s.header.startedAt);
  return Math.max(0, end - s.header.startedAt);
}

/** A node's duration: final when known, else live from its start. */
export function nodeElapsedMs(n: NodeView, now: number | undefined, lastEventAt: number | null): number | null {
  if (n.durationMs !== null) return n.durationMs;
  if (n.startedAt === null) return null;
  const end = now ?? lastEventAt;
  return end === null ? null : Math.max(0, end - n.startedAt);
}

/** Nodes still shown in the live region: those not yet settled into `<Static>`. */
export function liveNodes(s: ViewState): NodeView[] {
  return s.nodes.filter((n) => n.state !== 'done' && n.state !== 'skipped');
}

export function countDone(s: ViewState): number {
  return s.nodes.filter((n) => n.state === 'done' || n.state === 'skipped').length;
}
