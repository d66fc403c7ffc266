// `--window`: either a mode for the inventory's window (enforce | wait | ignore) or a window given
// on the command line, "sat,sun 02:00-05:00 Europe/Berlin" (then enforced).
import type { Weekday, WindowSpec } from '../inventory/types.js';
import type { WindowMode } from '../rollout/upgrade/engine.js';
import { BadInputError } from '../util/errors.js';

const DAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function parseWindowFlag(
  value: string | undefined,
  fromInventory: WindowSpec | undefined,
): { mode: WindowMode; spec: WindowSpec | undefined } {
  if (value === undefined) return { mode: 'enforce', spec: fromInventory };
  const v = value.trim();
  if (v === 'enforce' || v === 'wait' || v === 'ignore') {
    if (!fromInventory && v !== 'ignore')
      throw new BadInputError(`--window ${v}: the inventory defines no window`, {
        hint: 'add a window: section to the inventory, or give one: --window "sat,sun 02:00-05:00 Europe/Berlin"',
      });
    return { mode: v, spec: fromInventory };
  }
  const m = /^([a-z,]+)\s+(\d{2}):(\d{2})\s*[-–]\s*(\d{2}):(\d{2})\s+(\S+)$/i.exec(v);
  if (!m)
    throw new BadInputError(`--window: cannot read ${JSON.stringify(value)}`, {
      hint: 'expected enforce | wait | ignore, or "DAYS HH:MM-HH:MM TIMEZONE", e.g. "sat,sun 02:00-05:00 Europe/Berlin"',
    });
  const days = m[1].toLowerCase().split(',').filter(Boolean);
  const bad = days.filter((d) => !DAYS.includes(d as Weekday));
  if (bad.length)
    throw new BadInputError(`--window: unknown day ${bad.join(', ')}`, { hint: `days are ${DAYS.join(', ')}` });
  const [sh, sm, eh, em] = [m[2], m[3], m[4], m[5]].map(Number);
  if (sh > 23 || eh > 23 || sm > 59 || em > 59)
    throw new BadInputError(`--window: ${m[2]}:${m[3]}-${m[4]}:${m[5]} is not a time range`, {
      hint: 'use 24-hour HH:MM',
    });
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: m[6] });
  } catch {
    throw new BadInputError(`--window: unknown time zone ${m[6]}`, {
      hint: 'use an IANA zone such as Europe/Berlin or UTC',
    });
  }
  return {
    mode: 'enforce',
    spec: { days: days as Weekday[], startMinutes: sh * 60 + sm, endMinutes: eh * 60 + em, timezone: m[6] },
  };
}
