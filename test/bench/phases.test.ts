// The bench's arithmetic: the physical limit, the phase breakdown from events, exec counts from a journal.
import { describe, expect, it } from 'vitest';
import { breakdown, execStats, limitMs, type TimedEvent } from '../../src/bench/phases.js';

const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const ev = (ms: number, type: string, extra: Partial<TimedEvent> = {}): TimedEvent => ({ ts: at(ms), type, ...extra });

describe('limitMs', () => {
  it.each([
    [{ ctlLatencyMs: 500, scpMs: 700, hopMs: [1000, 1200] }, 700 + 2200 + 2 * 2 * 500],
    [{ ctlLatencyMs: 0, scpMs: 300, hopMs: [1000] }, 1300],
    [{ ctlLatencyMs: 500, scpMs: 0, hopMs: [] }, 0],
  ])('%j → %d ms', (m, want) => {
    expect(limitMs(m)).toBe(want);
  });
});

describe('breakdown', () => {
  // spawn at 0, two nodes, staging in parallel, exit 100 ms after the last event
  const events: TimedEvent[] = [
    ev(300, 'rollout.started'),
    ev(1300, 'plan.ready'),
    ev(1350, 'step.started', { node: 'a', step: 'stage' }),
    ev(1360, 'step.started', { node: 'b', step: 'stage' }),
    ev(2000, 'step.finished', { node: 'b', step: 'stage', durationMs: 640 }),
    ev(2100, 'step.finished', { node: 'a', step: 'stage', durationMs: 750 }),
    ev(2150, 'step.started', { node: 'a', step: 'gate-before' }),
    ev(2650, 'step.finished', { node: 'a', step: 'gate-before', durationMs: 500 }),
    ev(2700, 'step.started', { node: 'a', step: 'upgrade' }),
    ev(4300, 'step.finished', { node: 'a', step: 'upgrade', durationMs: 1600 }),
    ev(4300, 'step.started', { node: 'a', step: 'gate-after' }),
    ev(4900, 'step.finished', { node: 'a', step: 'gate-after', durationMs: 600 }),
    ev(5000, 'node.done', { node: 'a' }),
    ev(5200, 'step.started', { node: 'b', step: 'gate-before' }),
    ev(5700, 'step.finished', { node: 'b', step: 'gate-before', durationMs: 500 }),
    ev(5700, 'step.started', { node: 'b', step: 'upgrade' }),
    ev(7300, 'step.finished', { node: 'b', step: 'upgrade', durationMs: 1600 }),
    ev(7300, 'step.started', { node: 'b', step: 'gate-after' }),
    ev(7900, 'step.finished', { node: 'b', step: 'gate-after', durationMs: 600 }),
    ev(7950, 'node.done', { node: 'b' }),
    ev(8000, 'rollout.done'),
  ];
  const b = breakdown(
    events,
    { spawnAt: T0, exitAt: T0 + 8100 },
    { ctlLatencyMs: 500, scpMs: 600, hopMs: [1000, 1000] },
  );
  const phase = (prefix: string) => b.phases.find((p) => p.phase.startsWith(prefix));

  it('wall, limit and overhead per node', () => {
    expect(b.wallMs).toBe(8100);
    expect(b.limitMs).toBe(600 + 2000 + 2000);
    expect(b.overheadPerNodeMs).toBe((8100 - 4600) / 2);
    expect(b.stagingSpanMs).toBe(2100 - 1350);
  });

  it('phases: start-up, preflight, staging window, summed steps with what the limit grants, gaps, exit', () => {
    expect(phase('start-up')?.totalMs).toBe(300);
    expect(phase('preflight')?.totalMs).toBe(1000);
    expect(phase('plan.ready → node 1')).toMatchObject({ totalMs: 850, limitMs: 600 });
    expect(phase('gate-before')).toMatchObject({ totalMs: 1000, limitMs: 0 });
    expect(phase('upgrade step')).toMatchObject({ totalMs: 3200, limitMs: 2000 + 1000 });
    expect(phase('gate-after')).toMatchObject({ totalMs: 1200, limitMs: 1000 });
    expect(phase('between nodes')?.totalMs).toBe(200);
    expect(phase('last node.done')?.totalMs).toBe(50);
    expect(phase('exit')?.totalMs).toBe(100);
  });
});

it('execStats counts remote commands per node from journal exec records', () => {
  const recs = [
    { kind: 'exec', node: 'a', command: "'/opt/emqx/bin/emqx' ctl status" },
    { kind: 'exec', node: 'a', command: "sha256sum -- '/s/t.tar.gz'" },
    { kind: 'exec', node: 'b', command: "'/opt/emqx/bin/emqx' ctl relup status" },
    { kind: 'exec', node: 'b', command: 'df -Pk -- /s' },
    { kind: 'event', type: 'step.started' },
  ];
  expect(execStats(recs, 2)).toEqual({ perNode: 2, sshExecsPerNode: 2, ctlPerNode: 1, sha256PerNode: 0.5 });
});

it('execStats counts the probes of one batch as one SSH exec (per node: batch ids are per host)', () => {
  const recs = [
    { kind: 'exec', node: 'a', command: "'/opt/emqx/bin/emqx' ctl status", batch: 1 },
    { kind: 'exec', node: 'a', command: "'/opt/emqx/bin/emqx' ctl relup status", batch: 1 },
    { kind: 'exec', node: 'a', command: 'df -Pk -- /s', batch: 2 },
    { kind: 'exec', node: 'b', command: "'/opt/emqx/bin/emqx' ctl status", batch: 1 },
    { kind: 'exec', node: 'b', command: "'/opt/emqx/bin/emqx' ctl relup upgrade '/s/t.tar.gz'" },
  ];
  expect(execStats(recs, 2)).toEqual({ perNode: 2.5, sshExecsPerNode: 2, ctlPerNode: 2, sha256PerNode: 0 });
});
