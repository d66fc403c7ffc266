// The pause point in-process, with a real file board: the decision is taken within one poll, the
// deadline ends it paused, and Ctrl-C / SIGTERM while waiting interrupt it — each leaving no record
// behind for `approve` to find.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBoard } from '../../../src/approval/board.js';
import { RECORD_VERSION } from '../../../src/approval/records.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { POLL_MS, atPausePoint, type Approval } from '../../../src/rollout/upgrade/approval.js';
import { realSleep, type RunContext } from '../../../src/rollout/core/context.js';
import type { EventInput } from '../../../src/rollout/core/events.js';
import { RolloutError } from '../../../src/util/errors.js';

const inv = { cluster: 'c', nodes: [{ name: 'a@x' }, { name: 'b@x' }] } as unknown as Inventory;
const point = {
  pauseAfter: 1,
  upgraded: 1,
  nextNode: 'b@x',
  remaining: 1,
  rows: [{ node: 'a@x', from: '1', to: '2', outcome: 'upgraded' as const, gatesPassed: 1, gatesTotal: 1 }],
};

function ctx(o: { stop?: () => boolean; signal?: AbortSignal } = {}) {
  const events: EventInput[] = [];
  const records: Array<Record<string, unknown>> = [];
  const c: RunContext = {
    inv,
    runId: 'r1',
    hosts: new Map(),
    unreachable: new Map(),
    emit: (e) => events.push(e),
    now: () => new Date(),
    sleep: realSleep,
    signal: o.signal ?? new AbortController().signal,
    stopRequested: o.stop ?? (() => false),
    commit: async () => undefined,
    note: (r) => {
      records.push(r as unknown as Record<string, unknown>);
    },
  };
  return { c, events, records };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'approval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const viaCommand = (sub: string, seconds = 30): Approval => ({
  kind: 'command',
  seconds,
  board: fileBoard(join(dir, sub)),
  owner: { user: 'u', host: 'h', pid: process.pid },
  hint: 'approve it',
});

describe('atPausePoint', () => {
  it('nobody to ask: paused at once, as before', async () => {
    const { c, events } = ctx();
    const e = await atPausePoint(c, { kind: 'none' }, point);
    expect(e?.kind).toBe('paused');
    expect(events.map((x) => x.type)).toEqual(['rollout.paused']);
  });

  it('an approval written while it waits is taken at the next poll; the records are gone afterwards', async () => {
    const { c, events, records } = ctx();
    const a = viaCommand('ok');
    const board = fileBoard(join(dir, 'ok'));
    const waiting = atPausePoint(c, a, point);
    for (;;) {
      const rec = await board.awaiting();
      if (typeof rec === 'object') break;
      await realSleep(10);
    }
    const t = Date.now();
    await board.decide({
      schemaVersion: RECORD_VERSION,
      runId: 'r1',
      decision: 'approve',
      by: 'jo@h',
      pid: 1,
      at: new Date().toISOString(),
    });
    expect(await waiting).toBeNull();
    // One poll is POLL_MS; the rest is slack for a loaded machine (the deadline here is 30 s).
    expect(Date.now() - t).toBeLessThan(POLL_MS + 1_750);
    expect(events.map((x) => x.type)).toEqual(['rollout.awaiting-approval', 'rollout.approved']);
    expect(records.find((r) => r.kind === 'approval')).toMatchObject({ decision: 'approved', by: 'jo@h' });
    expect(await readdir(join(dir, 'ok'))).toEqual([]);
  });

  it('the deadline passes: paused, journaled as timed out', async () => {
    const { c, events, records } = ctx();
    const t = Date.now();
    const e = await atPausePoint(c, viaCommand('late', 0.3), point);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    expect(e?.message).toMatch(/no approval within 0.3s/);
    expect(events.map((x) => x.type)).toEqual(['rollout.awaiting-approval', 'rollout.paused']);
    expect(records.find((r) => r.kind === 'approval')?.decision).toBe('timed-out');
    expect(await readdir(join(dir, 'late'))).toEqual([]);
  });

  it('Ctrl-C (soft stop) and SIGTERM (abort) while waiting interrupt it (exit 130)', async () => {
    let stop = false;
    const soft = ctx({ stop: () => stop });
    const p1 = atPausePoint(soft.c, viaCommand('soft'), point);
    setTimeout(() => (stop = true), 300);
    await expect(p1).rejects.toMatchObject({ kind: 'interrupted' });

    const ac = new AbortController();
    const hard = ctx({ signal: ac.signal });
    const p2 = atPausePoint(hard.c, viaCommand('hard'), point);
    setTimeout(() => ac.abort(new RolloutError('interrupted', 'terminated (SIGTERM)')), 300);
    await expect(p2).rejects.toMatchObject({ kind: 'interrupted' });
    expect(await readdir(join(dir, 'soft'))).toEqual([]);
    expect(await readdir(join(dir, 'hard'))).toEqual([]);
  });

  it('on a terminal: the answer decides, by the operator at it', async () => {
    const yes = ctx();
    expect(
      await atPausePoint(yes.c, { kind: 'terminal', who: 'op@h', hint: 'press y', ask: async () => 'approve' }, point),
    ).toBeNull();
    expect(yes.events.map((x) => x.type)).toEqual(['rollout.awaiting-approval', 'rollout.approved']);
    expect(yes.events[0]).toMatchObject({ deadline: null, via: 'terminal' });
    const no = ctx();
    expect(
      (await atPausePoint(no.c, { kind: 'terminal', who: 'op@h', hint: 'press y', ask: async () => 'reject' }, point))
        ?.kind,
    ).toBe('paused');
    expect(no.events.map((x) => x.type)).toEqual(['rollout.awaiting-approval', 'rollout.rejected', 'rollout.paused']);
    await expect(
      atPausePoint(ctx().c, { kind: 'terminal', who: 'op@h', hint: 'press y', ask: async () => 'interrupt' }, point),
    ).rejects.toMatchObject({ kind: 'interrupted' });
  });
});
