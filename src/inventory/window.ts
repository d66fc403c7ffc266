// The maintenance window: `days`, `start`/`end` as "HH:MM" 24h, an IANA `timezone` → WindowSpec
// in minutes after local midnight. end < start means the window crosses midnight (22:00–02:00).
import { WEEKDAYS, WINDOW_KEYS } from './fields.js';
import { Problems, checkKeys, readMap, readString } from './read.js';
import { closest } from './suggest.js';
import { childPath, describe, get, type RNode } from './tree.js';
import type { Weekday, WindowSpec } from './types.js';

const FULL_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function parseHHMM(s: string): number | undefined {
  const m = s.match(HHMM);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Intl knows the IANA database (Node ships full ICU); an unknown zone throws RangeError. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function readWindow(n: RNode, ps: Problems): WindowSpec | undefined {
  if (n.kind === 'scalar' && n.value === null) return undefined;
  const m = readMap(n, ps, 'a mapping with days, start, end, timezone');
  if (!m) return undefined;
  checkKeys(m, WINDOW_KEYS, ps, (e) => childPath(m.path, e.key));
  const need = (k: string): RNode | undefined => {
    const e = get(m, k);
    if (!e) ps.at(m.pos, childPath(m.path, k), `is required in a window`);
    return e?.value;
  };
  const daysN = need('days');
  const startN = need('start');
  const endN = need('end');
  const tzN = need('timezone');

  let days: Weekday[] | undefined;
  if (daysN) {
    if (daysN.kind !== 'seq' || daysN.items.length === 0) {
      ps.on(daysN, `expected a non-empty list of ${WEEKDAYS.join(', ')}, found ${describe(daysN)}`);
    } else {
      days = [];
      let bad = false;
      for (const it of daysN.items) {
        const raw = it.kind === 'scalar' && typeof it.value === 'string' ? it.value.trim().toLowerCase() : undefined;
        if (raw !== undefined && (WEEKDAYS as readonly string[]).includes(raw)) {
          if (days.includes(raw as Weekday)) {
            ps.on(it, `day "${raw}" is listed twice`);
            bad = true;
          } else days.push(raw as Weekday);
          continue;
        }
        // Compare with full names so "sunday" suggests `sun` but "Sonntag" suggests nothing.
        const full = raw ? closest(raw, FULL_NAMES) : undefined;
        const guess = full?.slice(0, 3);
        ps.on(
          it,
          `expected one of ${WEEKDAYS.join(', ')}, found ${describe(it)}${guess ? `; did you mean \`${guess}\`?` : ''}`,
        );
        bad = true;
      }
      if (bad) days = undefined;
    }
  }
  const time = (tn: RNode | undefined): number | undefined => {
    if (!tn) return undefined;
    const s =
      tn.kind === 'scalar' && tn.value !== null ? (typeof tn.value === 'string' ? tn.value : tn.text) : undefined;
    const v = s === undefined ? undefined : parseHHMM(s.trim());
    if (v === undefined) ps.on(tn, `expected a time "HH:MM" (24h, 00:00–23:59, quoted), found ${describe(tn)}`);
    return v;
  };
  const startMinutes = time(startN);
  const endMinutes = time(endN);
  if (startMinutes !== undefined && endMinutes !== undefined && startMinutes === endMinutes && endN)
    ps.on(endN, `expected an end different from start (${describe(startN)}); a window must have a length`);

  let timezone: string | undefined;
  if (tzN) {
    const s = readString(tzN, ps, 'an IANA time zone such as "Europe/Berlin"');
    if (s !== undefined) {
      if (isTimeZone(s.trim())) timezone = s.trim();
      else ps.on(tzN, `expected an IANA time zone such as "Europe/Berlin" or "UTC", found ${describe(tzN)}`);
    }
  }
  if (days === undefined || startMinutes === undefined || endMinutes === undefined || timezone === undefined)
    return undefined;
  if (startMinutes === endMinutes) return undefined;
  return { days, startMinutes, endMinutes, timezone };
}
