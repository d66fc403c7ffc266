// `emqx ctl broker` and `emqx ctl broker stats` (facts §3). Lines are `~-10s: ~ts` / `~-30s: ~w`.
// `broker stats` exits 1 on success (list-comprehension return, facts §1.3), so the exit code
// is not a verdict there: the lines are.

import type { BrokerInfo, BrokerStats } from '../types.js';
import { detectDown, lines, unrecognised } from './common.js';

const FIELD = /^([a-z_]+)\s*: (.*)$/;

export function parseBroker(stdout: string, stderr = '', exitCode: number | null = 0): BrokerInfo {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  const fields = new Map<string, string>();
  for (const l of lines(stdout)) {
    const m = FIELD.exec(l);
    if (!m) return unrecognised(stdout);
    fields.set(m[1], m[2].trim());
  }
  const sysdescr = fields.get('sysdescr');
  const version = fields.get('version');
  const datetime = fields.get('datetime');
  const uptimeText = fields.get('uptime');
  // `uptime : ` with nothing after it is possible: every zero unit is dropped, so 0 s prints ''.
  const uptime = uptimeText === undefined ? null : parseUptime(uptimeText);
  if (!sysdescr || !version || !datetime || uptime === null) return unrecognised(stdout);
  return { kind: 'broker', sysdescr, version, datetime, uptimeSeconds: uptime };
}

const UNIT_SECONDS: Record<string, number> = { day: 86_400, hour: 3_600, minute: 60, second: 1 };

/** `1 days, 2 hours, 3 minutes, 4 seconds` → 93784; `52 seconds` → 52; `` → 0. Else null. */
export function parseUptime(text: string): number | null {
  const t = text.trim();
  if (t === '') return 0;
  let total = 0;
  let lastRank = -1;
  for (const part of t.split(/,\s*/)) {
    const m = /^(\d+) (day|hour|minute|second)s?$/.exec(part.trim());
    if (!m) return null;
    // Units come largest first and at most once each; anything else is not this format.
    const rank = Object.keys(UNIT_SECONDS).indexOf(m[2]);
    if (rank <= lastRank) return null;
    lastRank = rank;
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
  }
  return total;
}

const STAT = /^([A-Za-z0-9_.]+)\s*: (-?\d+)$/;

export function parseBrokerStats(stdout: string, stderr = '', exitCode: number | null = 1): BrokerStats {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  if (exitCode !== 0 && exitCode !== 1) return unrecognised(stdout, stderr, exitCode);
  const stats: Record<string, number> = {};
  const ls = lines(stdout);
  if (ls.length === 0) return unrecognised(stdout, stderr, exitCode);
  for (const l of ls) {
    const m = STAT.exec(l);
    if (!m) return unrecognised(stdout, stderr, exitCode);
    stats[m[1]] = Number(m[2]);
  }
  return { kind: 'stats', stats };
}

/**
 * The MQTT connection count for the "connections did not collapse" gate: `connections.count`
 * (all, incl. those being taken over), else `live_connections.count`; null when neither exists.
 */
export function connectionCount(stats: Readonly<Record<string, number>>): number | null {
  if (typeof stats['connections.count'] === 'number') return stats['connections.count'];
  if (typeof stats['live_connections.count'] === 'number') return stats['live_connections.count'];
  return null;
}
