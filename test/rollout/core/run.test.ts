// How a day-2 run ends (rollout/day2Run.ts): an abort is never judged as a node's answer and never
// reported as a halt; every outcome ends with exactly one terminal event.
import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../../src/rollout/core/context.js';
import { NodeFailure } from '../../../src/rollout/core/failure.js';
import {
  emitBlocked,
  emitDeclined,
  settleFailure,
  throwIfAborted,
  type InFlight,
} from '../../../src/rollout/core/run.js';
import type { EventInput } from '../../../src/rollout/core/events.js';
import { RolloutError } from '../../../src/util/errors.js';
import { NAMES, execResult, inventory } from '../day2Fixtures.js';

const [A] = NAMES;

function recordingCtx(aborted: boolean): { ctx: RunContext; events: EventInput[] } {
  const events: EventInput[] = [];
  const ctl = new AbortController();
  if (aborted) ctl.abort(new RolloutError('interrupted', 'terminated (SIGTERM)'));
  const ctx: RunContext = {
    inv: inventory(),
    runId: 'r1',
    hosts: new Map(),
    unreachable: new Map(),
    emit: (e) => events.push(e),
    now: () => new Date('2026-11-26T22:00:00Z'),
    sleep: async () => undefined,
    signal: ctl.signal,
    stopRequested: () => aborted,
    commit: async () => undefined,
    note: () => undefined,
  };
  return { ctx, events };
}

const terminal = (events: EventInput[]) =>
  events.filter((e) => e.type === 'rollout.done' || e.type === 'rollout.halted' || e.type === 'rollout.paused');

describe('throwIfAborted', () => {
  it('an aborted result is an interruption; a real failure is data', () => {
    const { ctx } = recordingCtx(false);
    expect(() =>
      throwIfAborted(ctx, execResult({ aborted: true, exitCode: null }), 'removing the staged files on A'),
    ).toThrow(
      expect.objectContaining({ kind: 'interrupted', message: 'interrupted while removing the staged files on A' }),
    );
    expect(() => throwIfAborted(ctx, execResult({ exitCode: 1, stderr: 'Permission denied' }), 'x')).not.toThrow();
    expect(() => throwIfAborted(ctx, null, 'x')).not.toThrow();
  });

  it('an abort that arrived while a command ran counts too, whatever the result says', () => {
    const { ctx } = recordingCtx(true);
    expect(() => throwIfAborted(ctx, execResult({ exitCode: 0 }), 'x')).toThrow(
      expect.objectContaining({ kind: 'interrupted' }),
    );
  });
});

describe('settleFailure', () => {
  it('after SIGTERM, a node failure is reported as an interruption (exit 130) with the node in flight, never a halt', () => {
    const { ctx, events } = recordingCtx(true);
    const flight: InFlight = { note: `the restart command was running on ${A}: the node may be stopped — check it` };
    // What an aborted `ctl status` would have become: "not running" — must not halt.
    const s = settleFailure(
      ctx,
      new NodeFailure(A, 'gate-after:version', `${A} is not running`, [], { kind: 'not-back' }),
      'restart',
      '5.10.5',
      flight,
    );
    expect(s.outcome).toBe('interrupted');
    expect(s.error.kind).toBe('interrupted');
    expect(s.error.details).toEqual([flight.note]);
    expect(terminal(events)).toHaveLength(1);
    expect(events.some((e) => e.type === 'rollout.halted')).toBe(false);
    const p = events.find((e) => e.type === 'rollout.paused');
    expect(p).toMatchObject({ type: 'rollout.paused', reason: expect.stringContaining('the node may be stopped') });
    expect((p as { reason: string }).reason).toMatch(/^terminated \(SIGTERM\); /);
  });

  it('says why (the signal) and where (the step) when both are known', () => {
    const { ctx, events } = recordingCtx(true);
    settleFailure(ctx, new RolloutError('interrupted', `interrupted while observing ${A}`), 'restart', null, {
      note: null,
    });
    expect(events).toEqual([
      expect.objectContaining({
        type: 'rollout.paused',
        reason: `terminated (SIGTERM): interrupted while observing ${A}`,
      }),
    ]);
  });

  it('an interrupted error without a node in flight: paused, re-run hint', () => {
    const { ctx, events } = recordingCtx(false);
    const s = settleFailure(
      ctx,
      new RolloutError('interrupted', `stopped by the operator before ${A}`),
      'cleanup',
      null,
      { note: null },
    );
    expect(s.outcome).toBe('interrupted');
    expect(events).toEqual([
      {
        type: 'rollout.paused',
        reason: `stopped by the operator before ${A}`,
        resumeHint: expect.stringContaining('re-run the same command'),
      },
    ]);
  });

  it('a real node failure halts with the day-2 recovery', () => {
    const { ctx, events } = recordingCtx(false);
    const s = settleFailure(
      ctx,
      new NodeFailure(A, 'cleanup', 'could not remove the staged files', ['exit 1'], { kind: 'cleanup-remove' }),
      'cleanup',
      '5.10.5',
      { note: null },
    );
    expect(s.outcome).toBe('halted');
    expect(terminal(events)).toEqual([
      expect.objectContaining({
        type: 'rollout.halted',
        node: A,
        check: 'cleanup',
        evidence: ['exit 1'],
        recovery: expect.arrayContaining([expect.stringContaining('/opt/upgrade/')]),
      }),
    ]);
  });

  it("the commands a recovery names carry this run's inventory (-i), ready to paste", () => {
    const { ctx, events } = recordingCtx(false);
    settleFailure(
      ctx,
      new NodeFailure(A, 'gate-after:version', 'not running after the upgrade', [], {
        kind: 'applied-gate-failed',
        backup: null,
      }),
      'upgrade',
      '5.10.5',
      { note: null },
    );
    const h = terminal(events)[0] as unknown as { recovery: string[] };
    const text = h.recovery.join('\n');
    expect(text).toContain(`\`emqx-rollout recover-boot -i '${ctx.inv.file}' --node ${A}`);
    expect(text).not.toMatch(/`emqx-rollout [a-z-]+ (?!-i )/);
  });

  it('a held lock: rollout.halted with check "lock", the error stays lock-held (exit 6)', () => {
    const { ctx, events } = recordingCtx(false);
    const held = new RolloutError('lock-held', 'another rollout holds the lock of cluster prod on A: alice@b2', {
      details: ['lock file: /opt/upgrade/.emqx-rollout.lock'],
      hint: 're-run with --break-lock',
    });
    const s = settleFailure(ctx, held, 'logs', null, { note: null });
    expect(s.error.kind).toBe('lock-held');
    expect(events).toEqual([
      {
        type: 'rollout.halted',
        check: 'lock',
        message: held.message,
        evidence: ['lock file: /opt/upgrade/.emqx-rollout.lock'],
        recovery: ['re-run with --break-lock'],
      },
    ]);
  });

  it('a bug still ends the stream (halted), then propagates', () => {
    const { ctx, events } = recordingCtx(false);
    expect(() => settleFailure(ctx, new TypeError('x is undefined'), 'restart', null, { note: null })).toThrow(
      TypeError,
    );
    expect(terminal(events)).toEqual([
      expect.objectContaining({ type: 'rollout.halted', message: 'internal error: x is undefined' }),
    ]);
  });
});

describe('blocked and declined', () => {
  it('blocked: rollout.halted check "preflight", the blockers as evidence, their fixes as recovery', () => {
    const { ctx, events } = recordingCtx(false);
    const findings = [
      {
        code: 'not-at-target',
        severity: 'blocker' as const,
        node: A,
        message: `${A} runs 5.10.4, not 5.10.5`,
        fix: 'finish the rollout first',
      },
      {
        code: 'not-at-target',
        severity: 'blocker' as const,
        node: NAMES[1],
        message: `${NAMES[1]} runs 5.10.4, not 5.10.5`,
        fix: 'finish the rollout first',
      },
    ];
    emitBlocked(
      ctx,
      new RolloutError('preflight-blocked', 'cleanup refused: 2 of 3 nodes do not run 5.10.5'),
      findings,
    );
    expect(events).toEqual([
      {
        type: 'rollout.halted',
        check: 'preflight',
        message: 'cleanup refused: 2 of 3 nodes do not run 5.10.5',
        evidence: [
          `[not-at-target] ${A} runs 5.10.4, not 5.10.5`,
          `[not-at-target] ${NAMES[1]} runs 5.10.4, not 5.10.5`,
        ],
        recovery: ['finish the rollout first'],
      },
    ]);
  });

  it('declined: rollout.paused, and an interrupted error (exit 130)', () => {
    const { ctx, events } = recordingCtx(false);
    const err = emitDeclined(ctx, 'cleanup declined at the confirmation prompt; nothing was removed');
    expect(err.kind).toBe('interrupted');
    expect(events).toEqual([
      {
        type: 'rollout.paused',
        reason: 'cleanup declined at the confirmation prompt; nothing was removed',
        resumeHint: expect.stringContaining('--yes'),
      },
    ]);
  });
});
