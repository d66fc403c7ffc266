// The run skeleton shared by every engine that changes nodes (upgrade, restart, recover-boot,
// cleanup, logs --clear): lock → run → settle failure → terminal event → release. Every run ends its
// event stream with exactly one terminal event: rollout.done, rollout.halted (a node failed,
// preflight blocked, the lock is held, the journal cannot be written) or rollout.paused
// (interrupted, declined, window closed). An abort (SIGTERM, second Ctrl-C) is never judged as a
// node's answer: an aborted command comes back empty, and reading that as output would invent a
// failure ("node not running") and a false halt. The CLI's command runner (cli/runEngine.ts) then
// writes the report and the run.end record.
import type { ExecResult } from '../../remote/types.js';
import { shq } from '../../util/shellQuote.js';
import { RolloutError, errorMessage } from '../../util/errors.js';
import type { RunContext } from './context.js';
import { acquireClusterLock, type LockHandle, type LockOwner } from '../state/lock.js';
import { NodeFailure, recoverySteps, type RunMode } from './failure.js';
import type { Finding, ReportRow } from './types.js';

export interface LockOptions {
  readonly owner: LockOwner;
  readonly breakLock: boolean;
  readonly pidAlive: (pid: number) => boolean;
}

/** How a run ended; the CLI maps the error that comes with it to the exit code. */
export type Outcome = 'done' | 'blocked' | 'halted' | 'paused' | 'interrupted' | 'declined';

export type MutableRow = { -readonly [K in keyof ReportRow]: ReportRow[K] };

/**
 * What the node in flight may be left like if the run stops right now, in words an operator can act
 * on ("the restart command was running on X: the node may be stopped — check it"). Engines set it
 * before each step that changes a node and clear it once the node is settled; an interruption
 * reports it in rollout.paused.
 */
export interface InFlight {
  note: string | null;
}

export async function takeLock(ctx: RunContext, lock: LockOptions): Promise<LockHandle> {
  await ctx.connected;
  const h = await acquireClusterLock(ctx.inv.nodes, ctx.hosts, lock.owner, {
    breakLock: lock.breakLock,
    pidAlive: lock.pidAlive,
    onTakeover: (node, prev) =>
      ctx.emit({ type: 'log', level: 'warn', node, message: `took over the cluster lock from ${prev}` }),
  });
  ctx.emit({ type: 'log', level: 'info', message: `cluster lock taken on ${ctx.hosts.size} nodes (run ${ctx.runId})` });
  return h;
}

export function isInterruption(ctx: RunContext, e: unknown): boolean {
  return ctx.signal.aborted || (e instanceof RolloutError && e.kind === 'interrupted');
}

/**
 * An aborted command (or an abort that arrived while it ran) is an interruption: its empty output
 * must not be judged. Call right after every exec whose result decides anything.
 */
export function throwIfAborted(ctx: RunContext, r: ExecResult | null, what: string): void {
  if ((r !== null && r.aborted) || ctx.signal.aborted) {
    throw new RolloutError('interrupted', `interrupted while ${what}`, { cause: ctx.signal.reason });
  }
}

/** Preflight refused: rollout.halted with check 'preflight', the blockers as evidence, their fixes as recovery. */
export function emitBlocked(ctx: RunContext, err: RolloutError, findings: readonly Finding[]): void {
  const fixes = [...new Set(findings.map((f) => f.fix).filter((f): f is string => !!f))];
  const nodes = [...new Set(findings.map((f) => f.node).filter((n): n is string => !!n))];
  ctx.emit({
    type: 'rollout.halted',
    ...(nodes.length === 1 ? { node: nodes[0] } : {}),
    check: 'preflight',
    message: err.message,
    evidence: findings.length > 0 ? findings.map((f) => `[${f.code}] ${f.message}`) : [...err.details],
    recovery: fixes.length > 0 ? fixes : [err.hint ?? 'fix the blockers above and re-run the same command'],
  });
}

/** Declined at the prompt: nothing changed; exit 130 like an interruption, announced as a pause. */
export function emitDeclined(ctx: RunContext, message: string): RolloutError {
  const resumeHint = 're-run the same command and answer yes (or pass --yes)';
  ctx.emit({ type: 'rollout.paused', reason: message, resumeHint });
  return new RolloutError('interrupted', message, { hint: resumeHint });
}

/**
 * Maps what a day-2 engine threw to its outcome and emits the terminal event. The abort test comes
 * FIRST: a failure observed after SIGTERM is the abort's doing, never a node's (no false halt).
 */
export function settleFailure(
  ctx: RunContext,
  e: unknown,
  mode: RunMode,
  target: string | null,
  flight: InFlight,
): { outcome: Outcome; error: RolloutError } {
  if (isInterruption(ctx, e)) {
    // "terminated (SIGTERM): interrupted while observing X": why, then where, when both are known.
    const why = ctx.signal.aborted && ctx.signal.reason instanceof Error ? ctx.signal.reason.message : null;
    const where = e instanceof RolloutError && e.kind === 'interrupted' ? e.message : null;
    const base = why && where && where !== why ? `${why}: ${where}` : (why ?? where ?? 'interrupted');
    const note = flight.note;
    const resumeHint = note
      ? 'check that node first (see above), then re-run the same command; nodes already done are skipped'
      : mode === 'upgrade'
        ? 're-run the same command (or add --resume) to continue: a node whose hop landed is gated, not upgraded again'
        : 're-run the same command to continue; nodes already done are skipped';
    ctx.emit({ type: 'rollout.paused', reason: note ? `${base}; ${note}` : base, resumeHint });
    return {
      outcome: 'interrupted',
      error: new RolloutError('interrupted', base, { details: note ? [note] : [], hint: resumeHint, cause: e }),
    };
  }
  if (e instanceof NodeFailure) {
    const spec = ctx.inv.nodes.find((n) => n.name === e.node)!;
    // The commands the recovery names carry this run's inventory, so they can be pasted as they are.
    const inv = shq(ctx.inv.file);
    const recovery = recoverySteps(e.failure, spec, target, mode).map((l) =>
      l.replace(/`emqx-rollout ([a-z][a-z-]*)(?=[ `])/g, (_m, cmd: string) => `\`emqx-rollout ${cmd} -i ${inv}`),
    );
    ctx.emit({
      type: 'rollout.halted',
      node: e.node,
      check: e.check,
      message: e.message,
      evidence: e.evidence,
      recovery,
    });
    return { outcome: 'halted', error: e };
  }
  if (e instanceof RolloutError && (e.kind === 'lock-held' || e.kind === 'preflight-blocked')) {
    // The lock was not ours (exit 6) or could not be written (exit 3): nothing was changed.
    ctx.emit({
      type: 'rollout.halted',
      check: 'lock',
      message: e.message,
      evidence: [...e.details],
      recovery: [
        e.hint ??
          (e.kind === 'lock-held' ? 'wait for the other run to finish' : 'fix the cause and re-run the same command'),
      ],
    });
    return { outcome: e.kind === 'lock-held' ? 'halted' : 'blocked', error: e };
  }
  if (e instanceof RolloutError) {
    ctx.emit({
      type: 'rollout.halted',
      message: e.message,
      evidence: [...e.details],
      recovery: [e.hint ?? 'fix the cause and re-run the same command'],
    });
    return {
      outcome: 'halted',
      // A halt keeps its own type (JournalUnwritableError names the file and the OS error); any other
      // kind becomes a halt (exit 4) with the original as its cause.
      error:
        e.kind === 'halted'
          ? e
          : new RolloutError('halted', e.message, {
              details: e.details,
              ...(e.hint ? { hint: e.hint } : {}),
              cause: e,
            }),
    };
  }
  // A bug: still end the stream, then let the CLI report it (exit 1).
  ctx.emit({
    type: 'rollout.halted',
    message: `internal error: ${errorMessage(e)}`,
    evidence: flight.note ? [flight.note] : [],
    recovery: ['this is a bug: report it with the output and the journal under .emqx-rollout/'],
  });
  throw e;
}

/** What an engine body gets from the skeleton: the lock (taken when the body is ready) and the note
 *  of what the node in flight may be left like. */
export interface RunScope {
  readonly flight: InFlight;
  /** Take the cluster lock on every node; released when the run ends, however it ends. */
  readonly lock: (opts: LockOptions) => Promise<void>;
}

/**
 * The skeleton: run `body`; whatever it throws is settled into exactly one terminal event and an
 * outcome (settleFailure), the lock is released in every case, and `fail` builds the engine's result
 * for a failed run. A bug (not a RolloutError) still ends the stream, then propagates (exit 1).
 */
export async function withRun<R>(
  ctx: RunContext,
  how: { readonly mode: RunMode; readonly target: () => string | null },
  body: (scope: RunScope) => Promise<R>,
  fail: (outcome: Outcome, error: RolloutError) => R,
): Promise<R> {
  let held: LockHandle | null = null;
  const flight: InFlight = { note: null };
  try {
    return await body({
      flight,
      lock: async (opts) => {
        held = await takeLock(ctx, opts);
      },
    });
  } catch (e) {
    const s = settleFailure(ctx, e, how.mode, how.target(), flight);
    return fail(s.outcome, s.error);
  } finally {
    await (held as LockHandle | null)?.release();
  }
}
