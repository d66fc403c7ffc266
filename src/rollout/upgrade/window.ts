// Maintenance-window arithmetic. Pure: the clock is the `now` parameter; time zones come from
// the runtime's ICU data through Intl.DateTimeFormat (no offsets are hard-coded).
//
// A window is a wall-clock period on each listed weekday in the window's time zone, e.g.
// sat,sun 02:00–05:00 Europe/Berlin. A window whose end is before its start crosses midnight and
// belongs to the day it starts (fri 22:00–02:00 runs into Saturday morning); end == start means
// a full 24 h. Wall times that do not exist or occur twice (DST) follow Temporal's 'compatible'
// rule: a time in the spring-forward gap moves forward by the gap (02:30 → 03:30 on the last
// Sunday of March in Berlin); a repeated time in the autumn takes its first occurrence. So on the
// October change 02:00–05:00 lasts 4 h, on the March change 2 h.

import type { Weekday, WindowSpec } from '../../inventory/types.js';

export type WindowStatus =
  { readonly open: true; readonly closesAt: Date } | { readonly open: false; readonly opensAt: Date };

export type MayStart =
  | { readonly ok: true; readonly closesAt?: Date }
  | {
      readonly ok: false;
      readonly code: 'window-closed' | 'not-enough-time';
      readonly reason: string;
      /** When to try again: the next opening. */
      readonly retryAt: Date;
    };

const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']; // getUTCDay order
const DISPLAY_ORDER: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface Wall {
  readonly y: number;
  readonly mo: number;
  readonly d: number;
  readonly h: number;
  readonly mi: number;
  readonly s: number;
}

function wallClock(t: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { y: parts.year, mo: parts.month, d: parts.day, h: parts.hour, mi: parts.minute, s: parts.second };
}

/** UTC offset of `timeZone` at instant `t`, in ms (Berlin summer: +7_200_000). */
function offsetAt(t: number, timeZone: string): number {
  const w = wallClock(t, timeZone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` shows `minutes` after midnight of the local
 * date y-mo-d (minutes may reach 1440 = next midnight). 'compatible' disambiguation, see top.
 */
function wallToInstant(y: number, mo: number, d: number, minutes: number, timeZone: string): number {
  const wallAsUtc = Date.UTC(y, mo - 1, d, 0, minutes);
  // Real zones change offset at most once within ±1 day, so the offsets a day before and a day
  // after are the only two candidates.
  const before = offsetAt(wallAsUtc - DAY, timeZone);
  const after = offsetAt(wallAsUtc + DAY, timeZone);
  const valid = [...new Set([before, after])]
    .map((o) => wallAsUtc - o)
    .filter((t) => t + offsetAt(t, timeZone) === wallAsUtc)
    .sort((a, b) => a - b);
  if (valid.length > 0) return valid[0]; // two → repeated hour: the first occurrence
  return wallAsUtc - before; // none → in the gap: shift forward by the gap
}

interface Interval {
  readonly start: number;
  readonly end: number;
}

/** The window's occurrences starting on local dates from 2 days before to 8 days after `now`. */
function occurrences(spec: WindowSpec, now: number): Interval[] {
  const today = wallClock(now, spec.timezone);
  const todayUtcMidnight = Date.UTC(today.y, today.mo - 1, today.d);
  const span =
    spec.endMinutes > spec.startMinutes
      ? spec.endMinutes - spec.startMinutes
      : spec.endMinutes + 1440 - spec.startMinutes;
  const out: Interval[] = [];
  for (let k = -2; k <= 8; k++) {
    const day = new Date(todayUtcMidnight + k * DAY); // a calendar date, carried in UTC fields
    if (!spec.days.includes(WEEKDAYS[day.getUTCDay()])) continue;
    const [y, mo, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    const start = wallToInstant(y, mo, d, spec.startMinutes, spec.timezone);
    const end = wallToInstant(y, mo, d, spec.startMinutes + span, spec.timezone);
    if (end > start) out.push({ start, end });
  }
  // Adjacent or overlapping occurrences (e.g. every day 00:00–00:00) form one open period.
  out.sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const iv of out) {
    const last = merged[merged.length - 1];
    if (last && iv.start <= last.end)
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, iv.end) };
    else merged.push(iv);
  }
  return merged;
}

/**
 * Whether the window is open at `now`, and until when; or when it opens next.
 * Throws RangeError for a spec that checkWindowSpec() rejects (the inventory loader validates).
 */
export function windowStatus(spec: WindowSpec, now: Date): WindowStatus {
  const problems = checkWindowSpec(spec);
  if (problems.length > 0) throw new RangeError(`invalid window: ${problems.join('; ')}`);
  const t = now.getTime();
  const ivs = occurrences(spec, t);
  const current = ivs.find((iv) => iv.start <= t && t < iv.end);
  if (current) return { open: true, closesAt: new Date(current.end) };
  const next = ivs.find((iv) => iv.start > t);
  // Unreachable with ≥1 day: some listed weekday falls within the next 7 local dates.
  if (!next) throw new RangeError('window never opens in the next 8 days');
  return { open: false, opensAt: new Date(next.start) };
}

/**
 * Never start a node that cannot finish before the window closes: the node's upgrade (estimate:
 * upgrade + gates + soak) must end at or before `closesAt`. No window → always ok.
 */
export function mayStartNode(spec: WindowSpec | undefined, now: Date, estimateMs: number): MayStart {
  if (!spec) return { ok: true };
  const st = windowStatus(spec, now);
  const tz = spec.timezone;
  if (!st.open) {
    return {
      ok: false,
      code: 'window-closed',
      reason: `outside the maintenance window (${describeWindow(spec)}); it opens ${formatInZone(st.opensAt, tz)}`,
      retryAt: st.opensAt,
    };
  }
  const finish = now.getTime() + estimateMs;
  if (finish > st.closesAt.getTime()) {
    const leftMin = Math.floor((st.closesAt.getTime() - now.getTime()) / MINUTE);
    const needMin = Math.ceil(estimateMs / MINUTE);
    const after = windowStatus(spec, st.closesAt);
    return {
      ok: false,
      code: 'not-enough-time',
      reason: `a node needs about ${needMin} min but the window closes ${formatInZone(st.closesAt, tz)}, in ${leftMin} min`,
      retryAt: after.open ? st.closesAt : after.opensAt,
    };
  }
  return { ok: true, closesAt: st.closesAt };
}

const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** `sat,sun 02:00–05:00 Europe/Berlin`. Days in mon..sun order. */
export function describeWindow(spec: WindowSpec): string {
  const days = DISPLAY_ORDER.filter((d) => spec.days.includes(d));
  return `${days.join(',')} ${hhmm(spec.startMinutes)}–${hhmm(spec.endMinutes)} ${spec.timezone}`;
}

/** `2026-03-28 02:00 Europe/Berlin` — an instant as the window's wall clock shows it. */
export function formatInZone(at: Date, timeZone: string): string {
  const w = wallClock(at.getTime(), timeZone);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${w.y}-${p(w.mo)}-${p(w.d)} ${p(w.h)}:${p(w.mi)} ${timeZone}`;
}

/** Problems with a spec, in words (empty when valid). For the inventory loader. */
export function checkWindowSpec(spec: WindowSpec): string[] {
  const problems: string[] = [];
  if (spec.days.length === 0) problems.push('days is empty: list at least one of mon,tue,wed,thu,fri,sat,sun');
  for (const d of spec.days) if (!DISPLAY_ORDER.includes(d)) problems.push(`unknown day ${JSON.stringify(d)}`);
  for (const [name, v, max] of [
    ['start', spec.startMinutes, 1439],
    ['end', spec.endMinutes, 1440],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > max)
      problems.push(`${name} must be a time of day HH:MM (got ${v} minutes)`);
  }
  try {
    formatter(spec.timezone);
  } catch {
    problems.push(`unknown time zone ${JSON.stringify(spec.timezone)} (expected an IANA name like Europe/Berlin)`);
  }
  return problems;
}
