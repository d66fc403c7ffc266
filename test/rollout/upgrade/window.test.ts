import { describe, expect, it } from 'vitest';
import type { Weekday, WindowSpec } from '../../../src/inventory/types.js';
import {
  checkWindowSpec,
  describeWindow,
  formatInZone,
  mayStartNode,
  windowStatus,
} from '../../../src/rollout/upgrade/window.js';

const w = (days: Weekday[], start: string, end: string, timezone: string): WindowSpec => {
  const m = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  return { days, startMinutes: m(start), endMinutes: m(end), timezone };
};

const WEEKEND = w(['sat', 'sun'], '02:00', '05:00', 'Europe/Berlin');
const FRI_NIGHT = w(['fri'], '22:00', '02:00', 'Europe/Berlin');
const MIN = 60_000;

// Berlin 2026: CET (+01) → CEST (+02) on Sun 29 Mar at 01:00Z; back on Sun 25 Oct at 01:00Z.
describe('windowStatus', () => {
  it.each<[string, WindowSpec, string, { open: boolean; at: string }]>([
    ['winter Saturday inside', WEEKEND, '2026-03-28T01:30:00Z', { open: true, at: '2026-03-28T04:00:00.000Z' }],
    [
      'winter Saturday at the opening minute',
      WEEKEND,
      '2026-03-28T01:00:00Z',
      { open: true, at: '2026-03-28T04:00:00.000Z' },
    ],
    [
      'winter Saturday at the closing instant',
      WEEKEND,
      '2026-03-28T04:00:00Z',
      { open: false, at: '2026-03-29T01:00:00.000Z' },
    ],
    // 02:00 does not exist on 29 Mar: the window opens when clocks jump to 03:00 CEST (01:00Z).
    ['spring-forward Sunday before', WEEKEND, '2026-03-29T00:30:00Z', { open: false, at: '2026-03-29T01:00:00.000Z' }],
    [
      'spring-forward Sunday inside (2 h long)',
      WEEKEND,
      '2026-03-29T01:30:00Z',
      { open: true, at: '2026-03-29T03:00:00.000Z' },
    ],
    ['summer Saturday (CEST)', WEEKEND, '2026-10-24T00:00:00Z', { open: true, at: '2026-10-24T03:00:00.000Z' }],
    // 02:00 happens twice on 25 Oct: the first (CEST, 00:00Z) opens; 05:00 CET (04:00Z) closes → 4 h.
    ['fall-back Sunday before', WEEKEND, '2026-10-24T23:59:00Z', { open: false, at: '2026-10-25T00:00:00.000Z' }],
    [
      'fall-back Sunday in the repeated hour',
      WEEKEND,
      '2026-10-25T01:30:00Z',
      { open: true, at: '2026-10-25T04:00:00.000Z' },
    ],
    [
      'fall-back Sunday last half hour',
      WEEKEND,
      '2026-10-25T03:30:00Z',
      { open: true, at: '2026-10-25T04:00:00.000Z' },
    ],
    ['Monday → next Saturday', WEEKEND, '2026-03-30T10:00:00Z', { open: false, at: '2026-04-04T00:00:00.000Z' }],
    // Crossing midnight: Friday's window runs into Saturday and belongs to Friday.
    ['Friday night before', FRI_NIGHT, '2026-01-09T20:59:00Z', { open: false, at: '2026-01-09T21:00:00.000Z' }],
    [
      "Saturday 00:30 still in Friday's window",
      FRI_NIGHT,
      '2026-01-09T23:30:00Z',
      { open: true, at: '2026-01-10T01:00:00.000Z' },
    ],
    [
      'Saturday night is not a window',
      FRI_NIGHT,
      '2026-01-10T21:30:00Z',
      { open: false, at: '2026-01-16T21:00:00.000Z' },
    ],
    [
      'Thursday night is not a window',
      FRI_NIGHT,
      '2026-01-08T23:30:00Z',
      { open: false, at: '2026-01-09T21:00:00.000Z' },
    ],
    // Friday 27 Mar 22:00 CET → Saturday 28 Mar 02:00 CET: no DST inside.
    [
      'crossing midnight, Asia/Kolkata (+05:30)',
      w(['mon'], '23:00', '01:30', 'Asia/Kolkata'),
      '2026-06-01T18:00:00Z',
      { open: true, at: '2026-06-01T20:00:00.000Z' },
    ],
    [
      'UTC weekday window',
      w(['mon', 'tue', 'wed', 'thu', 'fri'], '09:00', '17:00', 'UTC'),
      '2026-06-05T16:59:00Z',
      { open: true, at: '2026-06-05T17:00:00.000Z' },
    ],
    [
      'UTC weekday window Friday evening',
      w(['mon', 'tue', 'wed', 'thu', 'fri'], '09:00', '17:00', 'UTC'),
      '2026-06-05T17:00:00Z',
      { open: false, at: '2026-06-08T09:00:00.000Z' },
    ],
    // New York springs forward at 02:00 local on 8 Mar 2026: 01:00–03:00 lasts 1 h that night.
    [
      'America/New_York DST night',
      w(['sun'], '01:00', '03:00', 'America/New_York'),
      '2026-03-08T06:30:00Z',
      { open: true, at: '2026-03-08T07:00:00.000Z' },
    ],
  ])('%s', (_name, spec, now, expected) => {
    const st = windowStatus(spec, new Date(now));
    expect(st.open).toBe(expected.open);
    expect((st.open ? st.closesAt : st.opensAt).toISOString()).toBe(expected.at);
  });

  it('a window equal at both ends is 24 h, and daily ones merge into one open period', () => {
    const daily = w(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], '00:00', '00:00', 'UTC');
    const st = windowStatus(daily, new Date('2026-06-03T12:00:00Z'));
    expect(st.open).toBe(true);
    if (st.open) expect(st.closesAt.getTime() - Date.parse('2026-06-03T12:00:00Z')).toBeGreaterThan(5 * 86_400_000);
    const sat = windowStatus(w(['sat'], '06:00', '06:00', 'UTC'), new Date('2026-06-07T05:00:00Z'));
    expect(sat).toEqual({ open: true, closesAt: new Date('2026-06-07T06:00:00Z') });
  });

  it('rejects an invalid spec with words, not a crash deep inside', () => {
    expect(() => windowStatus(w(['sat'], '02:00', '05:00', 'Mars/Olympus'), new Date())).toThrow(
      /unknown time zone "Mars\/Olympus"/,
    );
    expect(checkWindowSpec({ days: [], startMinutes: 1500, endMinutes: 10, timezone: 'UTC' })).toEqual([
      'days is empty: list at least one of mon,tue,wed,thu,fri,sat,sun',
      'start must be a time of day HH:MM (got 1500 minutes)',
    ]);
    expect(checkWindowSpec(WEEKEND)).toEqual([]);
  });
});

describe('mayStartNode', () => {
  const now = new Date('2026-03-28T03:00:00Z'); // Sat 04:00 CET, window closes 05:00 CET (04:00Z)
  it.each<[string, WindowSpec | undefined, Date, number, boolean, string?]>([
    ['no window', undefined, now, 10 * 60 * MIN, true],
    ['fits with a minute to spare', WEEKEND, now, 59 * MIN, true],
    ['fits exactly', WEEKEND, now, 60 * MIN, true],
    ['one ms too long', WEEKEND, now, 60 * MIN + 1, false, 'not-enough-time'],
    ['window closed', WEEKEND, new Date('2026-03-30T10:00:00Z'), MIN, false, 'window-closed'],
  ])('%s', (_n, spec, at, est, ok, code) => {
    const r = mayStartNode(spec, at, est);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('says why and when to retry', () => {
    const r = mayStartNode(WEEKEND, now, 90 * MIN);
    expect(r).toMatchObject({ ok: false, code: 'not-enough-time' });
    if (r.ok) return;
    expect(r.reason).toBe('a node needs about 90 min but the window closes 2026-03-28 05:00 Europe/Berlin, in 60 min');
    expect(r.retryAt.toISOString()).toBe('2026-03-29T01:00:00.000Z'); // Sunday, after the DST jump
    const closed = mayStartNode(WEEKEND, new Date('2026-03-30T10:00:00Z'), MIN);
    if (closed.ok) throw new Error('expected closed');
    expect(closed.reason).toBe(
      'outside the maintenance window (sat,sun 02:00–05:00 Europe/Berlin); it opens 2026-04-04 02:00 Europe/Berlin',
    );
  });
});

describe('describeWindow / formatInZone', () => {
  it('canonical day order, en dash, zone', () => {
    expect(describeWindow(w(['sun', 'sat'], '02:00', '05:00', 'Europe/Berlin'))).toBe(
      'sat,sun 02:00–05:00 Europe/Berlin',
    );
    expect(describeWindow(FRI_NIGHT)).toBe('fri 22:00–02:00 Europe/Berlin');
  });
  it('formats the wall clock across the October change', () => {
    expect(formatInZone(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25 02:30 Europe/Berlin');
    expect(formatInZone(new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25 02:30 Europe/Berlin');
  });
});
