// The upgrade engine's judgements, taken out of the actions (STYLE.md: decide, then act): each is a
// pure function of what a command printed or what was observed, with table tests beside it. The
// engine runs the command, hands the result here, and acts on the verdict.
import type { RelupUpgradeResult } from '../../emqx/types.js';
import type { NodeFacts } from '../core/facts.js';
import type { FailureCase } from '../core/failure.js';
import type { InFlight } from '../state/resume.js';

/** The last line of a successful backup command: `<bytes> <absolute path>` (upgrade/actions.ts). */
export function parseBackupLine(stdout: string): { readonly bytes: number; readonly path: string } | null {
  const m = /^(\d+) (\/.+)$/m.exec(stdout);
  return m ? { bytes: Number(m[1]), path: m[2] } : null;
}

/**
 * Did `relup upgrade` reach the node's live code? A failure past check_and_unpack (or with no stage
 * at all) may have changed it: such a node is "applied but unproven" and is re-gated, never skipped.
 */
export function hopApplied(v: RelupUpgradeResult): boolean {
  return v.kind === 'complete' || (v.kind === 'failed' && v.stage !== 'check_and_unpack');
}

/**
 * May this answer close the journal entry? Only a definite one. After a deadline, a dropped node,
 * an empty answer still to be classified or output we cannot read, the hop may still be running or
 * may have landed: the entry stays open, so the next run re-observes the node instead of guessing.
 */
export function definiteVerdict(v: RelupUpgradeResult, timedOut: boolean): boolean {
  if (timedOut) return false;
  return ['complete', 'failed', 'vm-restarted', 'rpc-failed', 'usage', 'not-registered'].includes(v.kind);
}

/**
 * The failure case of a `relup upgrade` that printed `upgrade failed, reason: …` (facts §1.4, the
 * plugin README's stage table): refused before any change, or code changed without the marker.
 */
export function failureOfFailedHop(stage: string | undefined, errType: string, backup: string | null): FailureCase {
  if (stage === 'check_and_unpack') return { kind: 'refused', errType };
  if (stage === 'perform_upgrade' || stage === 'permanent_upgrade') return { kind: 'applied-no-marker', stage, backup };
  return { kind: 'unknown-state' };
}

export type InFlightVerdict =
  /** Still moving (in-progress, or a torn read across the handler's last step): look again. */
  | 'settling'
  /** The earlier hop landed: target, marker, hot-upgraded. Gate it. */
  | 'complete'
  /** The command never reached the handler: no new log row, idle, old version. Upgrade normally. */
  | 'never-started'
  /** Neither: halt for a human. */
  | 'unknown';

/**
 * A node whose `upgrade.begin` has no `upgrade.end` (the controller died mid-hop), judged from a
 * fresh observation. Observation is several commands in a row, so it can straddle the handler's
 * last step: `relup status` already says hot-upgraded while `ctl status` (read first) still shows
 * the old version and the marker is not written yet. That torn read is "settling", not "unknown".
 */
export function judgeInFlight(f: NodeFacts, fl: InFlight): InFlightVerdict {
  const st = f.relupStatus;
  if (st?.kind === 'in-progress') return 'settling';
  if (st?.kind === 'hot-upgraded' && st.target === fl.to) {
    if (f.version === fl.to && f.marker === fl.to) return 'complete';
    // A node that went down (version null) is not settling: that is for a human.
    if (f.version === fl.from || (f.version === fl.to && f.marker !== fl.to)) return 'settling';
  }
  const rowsNow = f.logs?.length ?? 0;
  if (f.version === fl.from && rowsNow === fl.logRowsBefore && st?.kind === 'idle' && f.marker === null)
    return 'never-started';
  return 'unknown';
}
