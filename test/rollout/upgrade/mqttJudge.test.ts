import { describe, expect, it } from 'vitest';
import { judgeProbe, probeCounts, ranges, type ProbeLog } from '../../../src/rollout/upgrade/mqttJudge.js';

/** n probes sent at t = 0, 200, 400, … ms */
const sentAt = (n: number): number[] => Array.from({ length: n }, (_, i) => i * 200);
const seq = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const log = (o: Partial<ProbeLog> & { n: number }): ProbeLog => ({
  sentAt: sentAt(o.n),
  acked: o.acked ?? o.n,
  received: o.received ?? seq(1, o.n),
  disconnects: o.disconnects ?? 0,
  notes: o.notes ?? [],
});
const final = { now: 100_000, graceMs: 2_000, final: true, where: '127.0.0.1:1883 via SSH' };

describe('judgeProbe (final)', () => {
  it.each<[string, ProbeLog, boolean, RegExp, Partial<Record<string, number>>]>([
    [
      'every probe once, in order',
      log({ n: 20 }),
      true,
      /^20\/20 probes received once and in order, no disconnect/,
      { sent: 20, received: 20, lost: 0 },
    ],
    [
      'one lost in the middle',
      log({ n: 20, received: [...seq(1, 9), ...seq(11, 20)] }),
      false,
      /1 of 20 probes lost$/,
      { lost: 1, received: 19 },
    ],
    [
      'the tail never came back',
      log({ n: 10, received: seq(1, 7), acked: 7 }),
      false,
      /3 of 10 probes lost/,
      { lost: 3, acked: 7 },
    ],
    [
      'disconnected, nothing lost',
      log({ n: 5, disconnects: 1 }),
      false,
      /^MQTT continuity: the probe client was disconnected$/,
      { disconnects: 1, lost: 0 },
    ],
    [
      'disconnected twice and lost',
      log({ n: 5, received: seq(1, 3), disconnects: 2 }),
      false,
      /disconnected 2×; 2 of 5 probes lost/,
      { disconnects: 2, lost: 2 },
    ],
    [
      'a duplicate fails (one clean session never redelivers)',
      log({ n: 5, received: [1, 2, 3, 3, 4, 5] }),
      false,
      /1 probe received twice/,
      { duplicates: 1, received: 5, lost: 0 },
    ],
    [
      'out of order fails',
      log({ n: 5, received: [1, 3, 2, 4, 5] }),
      false,
      /1 probe out of order/,
      { outOfOrder: 1, lost: 0 },
    ],
    ['a foreign or stale seq is ignored', log({ n: 3, received: [1, 2, 3, 99, 0] }), true, /^3\/3/, { received: 3 }],
    ['nothing sent at all', log({ n: 0 }), false, /no probe was published/, { sent: 0 }],
  ])('%s', (_name, l, ok, message, counts) => {
    const r = judgeProbe(l, final);
    expect(r.gate).toBe('mqtt');
    expect(r.ok).toBe(ok);
    expect(r.message).toMatch(message);
    expect(r.probe).toMatchObject(counts);
    expect(r.probe?.pending).toBe(0);
  });

  it('evidence names the lost, duplicated and late probes and the notes', () => {
    const r = judgeProbe(
      log({
        n: 30,
        received: [1, 2, 4, 3, 3, ...seq(5, 10), ...seq(15, 20), 30],
        notes: ['connection closed at +2.0s after 10 probes'],
      }),
      final,
    );
    expect(r.evidence).toEqual([
      'connection closed at +2.0s after 10 probes',
      'lost: 11–14, 21–29',
      'received twice: 3',
      'out of order: 3',
      'sent 30, acknowledged 30, received 17 (127.0.0.1:1883 via SSH)',
    ]);
  });
});

describe('judgeProbe (interim, with a grace period)', () => {
  // 10 probes sent at 0..1800 ms; now = 2500 ms, grace 2000 ms: probes sent before 500 ms are due
  const at = { now: 2_500, graceMs: 2_000, final: false, where: 'x' };
  it.each<[string, number[], boolean, Partial<Record<string, number>>]>([
    ['recent ones pending, not lost', seq(1, 5), true, { received: 5, pending: 5, lost: 0 }],
    ['an old one missing is lost already', [2, 3, 4, 5], false, { received: 4, lost: 1, pending: 5 }],
    ['all back', seq(1, 10), true, { received: 10, pending: 0 }],
  ])('%s', (_n, received, ok, counts) => {
    const r = judgeProbe(log({ n: 10, received }), at);
    expect(r.ok).toBe(ok);
    expect(r.probe).toMatchObject(counts);
  });

  it('says "so far" while the probe runs', () => {
    expect(judgeProbe(log({ n: 10, received: seq(1, 5) }), at).message).toBe(
      '5/10 probes received in order so far (5 in flight), still connected',
    );
  });

  it('the grace boundary: exactly graceMs old is still pending', () => {
    expect(probeCounts(log({ n: 1, received: [] }), { now: 2_000, graceMs: 2_000, final: false })).toMatchObject({
      pending: 1,
      lost: 0,
    });
    expect(probeCounts(log({ n: 1, received: [] }), { now: 2_001, graceMs: 2_000, final: false })).toMatchObject({
      pending: 0,
      lost: 1,
    });
  });
});

describe('ranges', () => {
  it.each<[number[], string]>([
    [[], ''],
    [[1], '1'],
    [[1, 2, 3, 5, 7, 8], '1–3, 5, 7–8'],
    [Array.from({ length: 12 }, (_, i) => i * 2), '0, 2, 4, 6, 8, 10, 12, 14, 16, 18, …'],
  ])('%j → %s', (xs, s) => expect(ranges(xs)).toBe(s));
});
