// schedule(): when each node starts, which window occurrence it falls into, and the first node that
// would not fit — with an injected clock, across the DST changes of Europe/Berlin and across midnight.
// 2026: Berlin springs forward on Sun 29 March (02:00 CET → 03:00 CEST) and falls back on Sun 25
// October (03:00 CEST → 02:00 CET). 4 December 2026 is a Friday.
import { describe, expect, it } from 'vitest';
import type { WindowSpec, Weekday } from '../../../src/inventory/types.js';
import { schedule, type ScheduleInput } from '../../../src/rollout/plan/schedule.js';

const MIN = 60_000;
const win = (days: Weekday[], start: string, end: string, timezone: string): WindowSpec => {
  const m = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  return { days, startMinutes: m(start), endMinutes: m(end), timezone };
};
const nodes = (n: number, expectedMin: number, reserveMin: number) =>
  Array.from({ length: n }, (_, i) => ({
    node: `emqx@n${i + 1}`,
    expectedMs: expectedMin * MIN,
    reserveMs: reserveMin * MIN,
  }));

interface Row {
  readonly name: string;
  readonly input: ScheduleInput;
  /** Per node: start (ISO, without seconds' fraction) and occurrence. */
  readonly starts: ReadonlyArray<readonly [string, number | null]>;
  readonly firstNotFitting: string | null;
  readonly startsAt: string;
}

const berlinSun = win(['sun'], '01:00', '04:00', 'Europe/Berlin');

const rows: Row[] = [
  {
    name: 'no window: back to back from now, staging first',
    input: { now: new Date('2026-12-01T10:00:00Z'), stagingMs: 5 * MIN, nodes: nodes(3, 10, 60) },
    starts: [
      ['2026-12-01T10:05:00.000Z', null],
      ['2026-12-01T10:15:00.000Z', null],
      ['2026-12-01T10:25:00.000Z', null],
    ],
    firstNotFitting: null,
    startsAt: '2026-12-01T10:00:00.000Z',
  },
  {
    name: 'spring forward: sun 01:00–04:00 Berlin lasts 2 h on 29 March; node 3 waits a week',
    input: { now: new Date('2026-03-28T12:00:00Z'), window: berlinSun, stagingMs: 0, nodes: nodes(3, 40, 50) },
    // 01:00 CET = 00:00Z; closes 04:00 CEST = 02:00Z. Node 3 at 01:20Z + 50 min > 02:00Z.
    starts: [
      ['2026-03-29T00:00:00.000Z', 0],
      ['2026-03-29T00:40:00.000Z', 0],
      ['2026-04-04T23:00:00.000Z', 1],
    ],
    firstNotFitting: 'emqx@n3',
    startsAt: '2026-03-29T00:00:00.000Z',
  },
  {
    name: 'fall back: the same window lasts 4 h on 25 October; five nodes fit, the sixth waits',
    input: { now: new Date('2026-10-24T12:00:00Z'), window: berlinSun, stagingMs: 0, nodes: nodes(6, 40, 50) },
    // 01:00 CEST = 23:00Z (24 Oct); closes 04:00 CET = 03:00Z. Node 6 at 02:20Z + 50 min > 03:00Z.
    starts: [
      ['2026-10-24T23:00:00.000Z', 0],
      ['2026-10-24T23:40:00.000Z', 0],
      ['2026-10-25T00:20:00.000Z', 0],
      ['2026-10-25T01:00:00.000Z', 0],
      ['2026-10-25T01:40:00.000Z', 0],
      ['2026-11-01T00:00:00.000Z', 1], // 01:00 CET a week later
    ],
    firstNotFitting: 'emqx@n6',
    startsAt: '2026-10-24T23:00:00.000Z',
  },
  {
    name: 'a window starting in the spring-forward gap does not occur that day',
    // 02:30–03:30 on 29 March: 02:30 does not exist (→ 03:30), so the occurrence is empty.
    input: {
      now: new Date('2026-03-28T12:00:00Z'),
      window: win(['sun'], '02:30', '03:30', 'Europe/Berlin'),
      stagingMs: 0,
      nodes: nodes(1, 10, 20),
    },
    starts: [['2026-04-05T00:30:00.000Z', 0]],
    firstNotFitting: null,
    startsAt: '2026-04-05T00:30:00.000Z',
  },
  {
    name: 'window crossing midnight: fri 23:00–01:00 UTC, nodes run past midnight, the fifth does not fit',
    input: {
      now: new Date('2026-12-04T22:00:00Z'),
      window: win(['fri'], '23:00', '01:00', 'UTC'),
      stagingMs: 0,
      nodes: nodes(5, 25, 30),
    },
    starts: [
      ['2026-12-04T23:00:00.000Z', 0],
      ['2026-12-04T23:25:00.000Z', 0],
      ['2026-12-04T23:50:00.000Z', 0],
      ['2026-12-05T00:15:00.000Z', 0], // saturday morning, still friday's window
      ['2026-12-11T23:00:00.000Z', 1],
    ],
    firstNotFitting: 'emqx@n5',
    startsAt: '2026-12-04T23:00:00.000Z',
  },
  {
    name: 'already inside the window: start now; staging counts against the window',
    input: {
      now: new Date('2026-12-05T00:20:00Z'),
      window: win(['fri'], '23:00', '01:00', 'UTC'),
      stagingMs: 10 * MIN,
      nodes: nodes(2, 10, 20),
    },
    // 00:30 + 20 ≤ 01:00 fits; 00:40 + 20 = 01:00 fits exactly
    starts: [
      ['2026-12-05T00:30:00.000Z', 0],
      ['2026-12-05T00:40:00.000Z', 0],
    ],
    firstNotFitting: null,
    startsAt: '2026-12-05T00:20:00.000Z',
  },
  {
    name: 'two windows a week (sat,sun): the overflow goes to sunday',
    input: {
      now: new Date('2026-12-04T12:00:00Z'),
      window: win(['sat', 'sun'], '02:00', '03:00', 'Europe/Berlin'),
      stagingMs: 0,
      nodes: nodes(3, 25, 30),
    },
    // sat 02:00 CET = 01:00Z; closes 02:00Z; node 3 at 01:50Z does not fit → sun 01:00Z
    starts: [
      ['2026-12-05T01:00:00.000Z', 0],
      ['2026-12-05T01:25:00.000Z', 0],
      ['2026-12-06T01:00:00.000Z', 1],
    ],
    firstNotFitting: 'emqx@n3',
    startsAt: '2026-12-05T01:00:00.000Z',
  },
  {
    name: '--window ignore: no window at all',
    input: {
      now: new Date('2026-12-01T10:00:00Z'),
      window: berlinSun,
      mode: 'ignore',
      stagingMs: 0,
      nodes: nodes(1, 10, 20),
    },
    starts: [['2026-12-01T10:00:00.000Z', null]],
    firstNotFitting: null,
    startsAt: '2026-12-01T10:00:00.000Z',
  },
];

describe('schedule', () => {
  it.each(rows)('$name', (r) => {
    const s = schedule(r.input);
    expect(s.nodes.map((n) => [n.start, n.occurrence])).toEqual(r.starts);
    expect(s.firstNotFitting).toBe(r.firstNotFitting);
    expect(s.startsAt).toBe(r.startsAt);
    // fits ⇔ in the occurrence the run starts in (or no window)
    expect(s.nodes.map((n) => n.fits)).toEqual(r.starts.map(([, o]) => o === null || o === 0));
    const last = r.input.nodes.at(-1)!;
    expect(s.finishesAt).toBe(new Date(Date.parse(r.starts.at(-1)![0]) + last.expectedMs).toISOString());
  });

  it('the first node that does not fit says why; the wall clock is in the window zone', () => {
    const s = schedule(rows[1].input);
    const n3 = s.nodes[2];
    expect(n3.reason).toMatch(/closes 2026-03-29 04:00 Europe\/Berlin/);
    expect(s.nodes[0].startLocal).toBe('2026-03-29 01:00 Europe/Berlin');
    expect(s.nodes[1].startLocal).toBe('2026-03-29 01:40 Europe/Berlin');
    expect(s.occurrences.map((o) => o.closesAt)).toEqual(['2026-03-29T02:00:00.000Z', '2026-04-05T02:00:00.000Z']);
    expect(s.window).toBe('sun 01:00–04:00 Europe/Berlin');
  });

  it('a node whose reserve exceeds the window never fits, and the schedule says so instead of looping', () => {
    const s = schedule({
      now: new Date('2026-12-01T10:00:00Z'),
      window: win(['sat'], '02:00', '03:00', 'UTC'),
      stagingMs: 0,
      nodes: nodes(2, 10, 90),
    });
    expect(s.firstNotFitting).toBe('emqx@n1');
    expect(s.nodes.map((n) => [n.start, n.fits])).toEqual([
      ['', false],
      ['', false],
    ]);
    expect(s.nodes[0].reason).toMatch(/needs about 90 min/);
  });
});
