// When each node would run. Pure: `now` is a parameter; the window arithmetic (DST, midnight) is
// window.ts's, the same the engine uses, so the schedule predicts what `upgrade` will do:
//
// - outside the window the run starts at the next opening (nothing is touched before);
// - staging runs first, on all nodes in parallel;
// - a node starts only if its *reserve* (upgrade deadline + soak) ends before the window closes
//   (mayStartNode, as upgrade.ts awaitWindow); it then takes its *expected* time;
// - a node that does not fit pauses the run (exit 5, or `--window wait` waits): it and every later
//   node move to the next occurrence that has room. The first such node is `firstNotFitting`.
//
// Example: sat 02:00–05:00 Europe/Berlin, deadline 300 s + soak 30 s (reserve 5.5 min), expected
// 4 min per node, 50 nodes: the last start that fits is 04:54:30, so nodes 1..44 (start 02:00 +
// 43 × 4 min = 04:52) fit and node 45 (04:56) waits for sunday, or the next saturday.
import type { WindowSpec } from '../../inventory/types.js';
import { describeWindow, formatInZone, mayStartNode, windowStatus } from '../upgrade/window.js';

export interface ScheduleNode {
  readonly node: string;
  readonly expectedMs: number;
  readonly reserveMs: number;
}

export interface ScheduleInput {
  readonly now: Date;
  /** undefined, or mode 'ignore': no window. */
  readonly window?: WindowSpec;
  readonly mode?: 'enforce' | 'wait' | 'ignore';
  readonly stagingMs: number;
  readonly nodes: readonly ScheduleNode[];
}

export interface Occurrence {
  /** When the run enters this occurrence: its opening, or `now` when it is already open. */
  readonly from: string;
  readonly closesAt: string;
}

export interface NodeSlot {
  readonly node: string;
  /** ISO instants. */
  readonly start: string;
  readonly end: string;
  /** Wall clock of the start in the window's zone (UTC without a window). */
  readonly startLocal: string;
  /** 0 = the occurrence the run starts in, 1 = the next, …; null without a window. */
  readonly occurrence: number | null;
  /** Finishes in the occurrence the run starts in (always true without a window). */
  readonly fits: boolean;
  /** Why not, for the first node that does not fit. */
  readonly reason?: string;
}

export interface Schedule {
  readonly now: string;
  readonly window: string | null;
  readonly mode: 'enforce' | 'wait' | 'ignore' | null;
  /** When the run can start (now, or the window's next opening). */
  readonly startsAt: string;
  readonly finishesAt: string;
  /** The same two as the window's wall clock shows them (UTC without a window). */
  readonly startsAtLocal: string;
  readonly finishesAtLocal: string;
  /** From startsAt to finishesAt, waits between occurrences included. */
  readonly spanMs: number;
  readonly occurrences: readonly Occurrence[];
  readonly nodes: readonly NodeSlot[];
  readonly firstNotFitting: string | null;
}

/** A node whose reserve is longer than the window itself can never start: stop looking. */
const MAX_OCCURRENCE_HOPS = 64;

export function schedule(input: ScheduleInput): Schedule {
  const win = input.mode === 'ignore' ? undefined : input.window;
  const tz = win?.timezone ?? 'UTC';
  const iso = (t: number): string => new Date(t).toISOString();
  let cursor = input.now.getTime();
  const occurrences: Occurrence[] = [];
  const occurrenceOf = (t: number): number | null => {
    if (!win) return null;
    const st = windowStatus(win, new Date(t));
    if (!st.open) return null;
    const closes = st.closesAt.toISOString();
    let i = occurrences.findIndex((o) => o.closesAt === closes);
    if (i < 0) {
      occurrences.push({ from: iso(t), closesAt: closes });
      i = occurrences.length - 1;
    }
    return i;
  };
  if (win) {
    const st = windowStatus(win, new Date(cursor));
    if (!st.open) cursor = st.opensAt.getTime();
  }
  const startsAt = cursor;
  occurrenceOf(cursor);
  cursor += input.stagingMs;

  const slots: NodeSlot[] = [];
  let firstNotFitting: string | null = null;
  let unschedulable = false;
  for (const n of input.nodes) {
    let reason: string | undefined;
    let hops = 0;
    while (!unschedulable) {
      const may = mayStartNode(win, new Date(cursor), n.reserveMs);
      if (may.ok) break;
      reason ??= may.reason;
      if (++hops > MAX_OCCURRENCE_HOPS) unschedulable = true;
      else cursor = may.retryAt.getTime();
    }
    if (unschedulable) {
      firstNotFitting ??= n.node;
      slots.push({
        node: n.node,
        start: '',
        end: '',
        startLocal: '',
        occurrence: null,
        fits: false,
        reason: reason ?? 'never fits the window',
      });
      continue;
    }
    const occurrence = occurrenceOf(cursor);
    const fits = !win || occurrence === 0;
    if (!fits && firstNotFitting === null) firstNotFitting = n.node;
    slots.push({
      node: n.node,
      start: iso(cursor),
      end: iso(cursor + n.expectedMs),
      startLocal: formatInZone(new Date(cursor), tz),
      occurrence,
      fits,
      ...(reason && firstNotFitting === n.node ? { reason } : {}),
    });
    cursor += n.expectedMs;
  }
  return {
    now: input.now.toISOString(),
    window: win ? describeWindow(win) : null,
    mode: win ? (input.mode ?? 'enforce') : null,
    startsAt: iso(startsAt),
    finishesAt: iso(cursor),
    startsAtLocal: formatInZone(new Date(startsAt), tz),
    finishesAtLocal: formatInZone(new Date(cursor), tz),
    spanMs: cursor - startsAt,
    occurrences,
    nodes: slots,
    firstNotFitting,
  };
}
