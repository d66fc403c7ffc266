// The approval hand-off between a run waiting at `--pause-after` (`upgrade --await-approval`) and
// `emqx-rollout approve` in another shell: two small JSON files in the run's state directory
// (.emqx-rollout/<cluster>/ next to the inventory), each written whole with write-then-rename so a
// reader never sees half a record. The waiting run posts `approval-awaiting.json`; `approve` checks
// it (same host, pid alive, not past its deadline) and answers with `approval-decision.json`, which
// the run polls. This file holds the records and the pure checks; board.ts does the file I/O.

export const AWAITING_FILE = 'approval-awaiting.json';
export const DECISION_FILE = 'approval-decision.json';
export const RECORD_VERSION = 1;

export interface AwaitingRecord {
  readonly schemaVersion: number;
  readonly runId: string;
  readonly cluster: string;
  readonly pid: number;
  readonly host: string;
  /** user@host of the waiting run. */
  readonly owner: string;
  readonly nextNode: string;
  readonly upgraded: number;
  readonly done: number;
  readonly total: number;
  /** ISO 8601. */
  readonly since: string;
  readonly deadline: string;
}

export type Verdict = 'approve' | 'reject';

export interface DecisionRecord {
  readonly schemaVersion: number;
  readonly runId: string;
  readonly decision: Verdict;
  /** user@host of whoever ran `approve`. */
  readonly by: string;
  readonly pid: number;
  readonly at: string;
}

const str = (v: unknown): v is string => typeof v === 'string' && v !== '';
const int = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** A parsed JSON value → an awaiting record, or why it is not one. */
export function asAwaiting(v: unknown): AwaitingRecord | string {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  if (r.schemaVersion !== RECORD_VERSION)
    return `schemaVersion ${String(r.schemaVersion)} (expected ${RECORD_VERSION})`;
  for (const k of ['runId', 'cluster', 'host', 'owner', 'nextNode', 'since', 'deadline'])
    if (!str(r[k])) return `no ${k}`;
  for (const k of ['pid', 'upgraded', 'done', 'total']) if (!int(r[k])) return `no ${k}`;
  if (!Number.isFinite(Date.parse(r.deadline as string))) return 'deadline is not a date';
  return r as unknown as AwaitingRecord;
}

export function asDecision(v: unknown): DecisionRecord | null {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  if (r.schemaVersion !== RECORD_VERSION || !str(r.runId) || !str(r.by) || !str(r.at) || !int(r.pid)) return null;
  if (r.decision !== 'approve' && r.decision !== 'reject') return null;
  return r as unknown as DecisionRecord;
}

export type AwaitingCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly stale: boolean; readonly message: string; readonly hint: string };

/**
 * May `approve` answer this record? Pure: the host name, the pid probe and the clock come in.
 * The waiting run must be on this host (the pid means nothing elsewhere), alive, and not past
 * its deadline (it is about to end paused by itself).
 */
export function checkAwaiting(
  rec: AwaitingRecord,
  here: { readonly host: string; readonly pidAlive: (pid: number) => boolean; readonly now: Date },
): AwaitingCheck {
  if (rec.host !== here.host) {
    return {
      ok: false,
      stale: false,
      message: `run ${rec.runId} waits for approval on host ${rec.host}, not on this host (${here.host})`,
      hint: `run \`emqx-rollout approve\` on ${rec.host}, where the waiting process can be checked`,
    };
  }
  if (!here.pidAlive(rec.pid)) {
    return {
      ok: false,
      stale: true,
      message: `run ${rec.runId} (pid ${rec.pid}) that waited for approval is no longer running`,
      hint: 're-run the upgrade to continue: nodes at the target are skipped',
    };
  }
  if (Date.parse(rec.deadline) <= here.now.getTime()) {
    return {
      ok: false,
      stale: false,
      message: `run ${rec.runId} stopped waiting at ${rec.deadline} (its --await-approval time ran out); it ends paused`,
      hint: 're-run the upgrade to continue: nodes at the target are skipped',
    };
  }
  return { ok: true };
}
