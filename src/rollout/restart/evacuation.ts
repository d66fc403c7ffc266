// Node evacuation through the real `emqx ctl rebalance` CLI (facts A1). The command strings live in
// emqx/commands.ts, the parsers in emqx/parse/rebalance.ts; this module holds the decisions (pure)
// and the words an operator needs when a run stops while an evacuation is active.
//
// Facts that shape it: `start` and `stop` exit 1 even on success (the verdict is stdout); the
// evacuation is saved in <dataDir>/.evacuation and resumes at every boot, so after the restart the
// node refuses clients until `rebalance stop`; right after a boot `rebalance` may not be registered
// yet, and `Command table is initializing.` may answer: both are "not yet", retried within a bound.
import type { NodeSpec } from '../../inventory/types.js';
import { operatorCommand } from '../../remote/become.js';
import { emqxCmd } from '../../emqx/commands.js';
import type { RebalanceNodeStatus, RebalanceStart, RebalanceStop, EvictionStatus } from '../../emqx/parse/rebalance.js';

export {
  rebalanceEvacuate as evacuateStart,
  rebalanceNodeStatus as evacuateStatus,
  rebalanceStop as evacuateStop,
} from '../../emqx/commands.js';
export {
  isDrained,
  parseRebalanceNodeStatus,
  parseRebalanceStart,
  parseRebalanceStop,
  parseEvictionStatus,
} from '../../emqx/parse/rebalance.js';

const TRANSIENT = new Set(['initializing', 'no-commands', 'not-registered-yet']);

export type Step = 'done' | 'retry' | 'check-status' | 'fail';

/** After `rebalance start --evacuation`. `already-enabled` may be our own earlier attempt: read node-status. */
export function judgeStart(s: RebalanceStart): Step {
  if (s.kind === 'started') return 'done';
  if (s.kind === 'already-enabled') return 'check-status';
  return TRANSIENT.has(s.kind) ? 'retry' : 'fail';
}

/** An `already-enabled` answer is ours to continue only when what runs is an evacuation. */
export function isEvacuating(s: RebalanceNodeStatus): boolean {
  return s.kind === 'enabled' && s.type === 'evacuation';
}

/** After `rebalance stop`, on the restarted node: stopped, or nothing left to stop (A1 table). */
export function judgeStop(s: RebalanceStop): Step {
  if ((s.kind === 'stopped' && s.what === 'evacuation') || s.kind === 'already-disabled') return 'done';
  return TRANSIENT.has(s.kind) ? 'retry' : 'fail';
}

/** The node accepts clients again: no rebalance of any kind, and the eviction agent is disabled. */
export function judgeAccepting(ns: RebalanceNodeStatus, ev: EvictionStatus): Step {
  if (TRANSIENT.has(ns.kind) || TRANSIENT.has(ev.kind)) return 'retry';
  if (ns.kind === 'disabled' && ev.kind === 'eviction' && !ev.enabled) return 'done';
  // Still enabled right after a stop: the agent is disabled synchronously (evacuation.erl:151-155),
  // so this is someone else's evacuation/purge, or a restart racing us. Poll until the deadline.
  return 'retry';
}

/**
 * What to print when a run halts or is interrupted while the evacuation is active: the exact
 * command that ends it (through sudo when the node needs it), and what to do when the node is down.
 */
export function endEvacuationAdvice(spec: NodeSpec, dataDir: string | null): string {
  const stop = operatorCommand(spec, emqxCmd(spec.rootDir, 'ctl', 'rebalance', 'stop'));
  const file = `${dataDir ?? `${spec.rootDir}/data`}/.evacuation`;
  return `its evacuation is still active (saved in ${file}, resumed at every boot): end it with \`${stop}\` (prints \`Rebalance(evacuation) stopped\` and exits 1 — that is success); if the node is stopped, delete ${file} before starting it`;
}
