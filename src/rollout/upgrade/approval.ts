// The `--pause-after N` checkpoint: after N upgraded nodes a human decides whether the run goes on.
// How they are asked is the CLI's choice (cli/commands/upgrade.ts), passed in as `Approval`:
//   none     — no one to ask (no terminal, no --await-approval): end paused, exit 5, as always.
//   terminal — a key in the live view or a prompt; no deadline (someone is at the keyboard).
//   command  — `--await-approval SECONDS`: post an awaiting record, keep the cluster lock, and poll
//              for `emqx-rollout approve -i INV [--reject]` from another shell until the deadline.
// Every decision is journaled with who made it and emitted (rollout.approved / rollout.rejected).
import type { ApprovalBoard } from '../../approval/board.js';
import { RECORD_VERSION } from '../../approval/records.js';
import { RolloutError } from '../../util/errors.js';
import type { RunContext } from '../core/context.js';
import type { ReportRow } from '../core/types.js';

export type Answer = 'approve' | 'reject' | 'interrupt';

export type Approval =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'terminal';
      /** Asks once; resolves with the operator's answer ('interrupt' for Ctrl-C at the question). */
      readonly ask: (signal: AbortSignal) => Promise<Answer>;
      /** user@host of the operator at this terminal. */
      readonly who: string;
      readonly hint: string;
    }
  | {
      readonly kind: 'command';
      readonly seconds: number;
      readonly board: ApprovalBoard;
      readonly owner: { readonly user: string; readonly host: string; readonly pid: number };
      /** The exact approve command for this inventory, shown to the operator. */
      readonly hint: string;
    };

/**
 * 250 ms: `approve` sees its decision taken within a quarter second, and a waiting run costs one
 * small file read 4×/s — nothing next to the SSH keep-alives it holds meanwhile.
 */
export const POLL_MS = 250;

export interface PausePoint {
  readonly pauseAfter: number;
  readonly upgraded: number;
  readonly nextNode: string;
  /** Nodes this run still has to do, nextNode included. */
  readonly remaining: number;
  readonly rows: readonly ReportRow[];
}

const RESUME_HINT = 're-run the same command (or add --resume) to continue with the next node';

/** null: go on with the next node. A RolloutError ('paused'): the run ends here (rollout.paused emitted). */
export async function atPausePoint(ctx: RunContext, approval: Approval, p: PausePoint): Promise<RolloutError | null> {
  const nodes = `${p.upgraded} node${p.upgraded === 1 ? '' : 's'}`;
  const paused = (reason: string): RolloutError => {
    const e = new RolloutError('paused', reason);
    ctx.emit({ type: 'rollout.paused', reason, resumeHint: RESUME_HINT, nextNode: p.nextNode });
    return e;
  };
  if (approval.kind === 'none') return paused(`paused after ${nodes} (--pause-after ${p.pauseAfter})`);

  const t0 = ctx.now().getTime();
  const deadline = approval.kind === 'command' ? new Date(t0 + approval.seconds * 1000) : null;
  const done = p.rows.filter((r) => r.outcome === 'upgraded' || r.outcome === 'skipped').length;
  const total = ctx.inv.nodes.length;
  ctx.emit({
    type: 'rollout.awaiting-approval',
    runId: ctx.runId,
    upgraded: p.upgraded,
    done,
    total,
    remaining: p.remaining,
    nextNode: p.nextNode,
    deadline: deadline?.toISOString() ?? null,
    via: approval.kind,
    hint: approval.hint,
  });
  const decided = async (decision: 'approved' | 'rejected', by: string): Promise<RolloutError | null> => {
    ctx.note({
      kind: 'approval',
      runId: ctx.runId,
      decision,
      by,
      nextNode: p.nextNode,
      waitedMs: ctx.now().getTime() - t0,
    });
    if (decision === 'approved') {
      ctx.emit({ type: 'rollout.approved', by, nextNode: p.nextNode });
      return null;
    }
    ctx.emit({ type: 'rollout.rejected', by, nextNode: p.nextNode });
    return paused(`rejected by ${by} after ${nodes} (--pause-after ${p.pauseAfter})`);
  };
  const interrupted = () =>
    new RolloutError('interrupted', `stopped by the operator while awaiting approval before ${p.nextNode}`);

  if (approval.kind === 'terminal') {
    const answer = await approval.ask(ctx.signal);
    if (answer === 'interrupt' || ctx.signal.aborted) throw interrupted();
    return decided(answer === 'approve' ? 'approved' : 'rejected', approval.who);
  }

  const { board } = approval;
  await board.post({
    schemaVersion: RECORD_VERSION,
    runId: ctx.runId,
    cluster: ctx.inv.cluster,
    pid: approval.owner.pid,
    host: approval.owner.host,
    owner: `${approval.owner.user}@${approval.owner.host}`,
    nextNode: p.nextNode,
    upgraded: p.upgraded,
    done,
    total,
    since: new Date(t0).toISOString(),
    deadline: deadline!.toISOString(),
  });
  try {
    for (;;) {
      const d = await board.decision(ctx.runId);
      if (d) return await decided(d.decision === 'approve' ? 'approved' : 'rejected', d.by);
      if (ctx.stopRequested()) throw interrupted();
      const left = deadline!.getTime() - ctx.now().getTime();
      if (left <= 0) break;
      await ctx.sleep(Math.min(POLL_MS, left), ctx.signal);
    }
  } finally {
    // Decided, timed out or interrupted: this run no longer waits, so `approve` must say so.
    await board.clear(ctx.runId).catch(() => undefined);
  }
  ctx.note({
    kind: 'approval',
    runId: ctx.runId,
    decision: 'timed-out',
    nextNode: p.nextNode,
    waitedMs: ctx.now().getTime() - t0,
  });
  return paused(
    `no approval within ${approval.seconds}s after ${nodes} (--pause-after ${p.pauseAfter} --await-approval ${approval.seconds})`,
  );
}
