// The notification dispatcher: a subscriber of the event stream (cli/session.ts hands it every
// event after redaction). It never blocks and never throws into the rollout: dispatch() only
// queues; deliveries run on their own, per receiver one at a time and in event order (a chat
// channel should read "started" before "done"), each bounded by the receiver's timeoutSeconds
// (webhook.ts, command.ts). A failed delivery becomes a warning and a journal record, nothing more.
//
// At exit, drain() waits — at most DRAIN_MS — only while a terminal event (rollout.done / halted /
// paused) is still on its way, then abandons whatever is left (sockets closed, hook process groups
// killed) and journals it. Nothing else ever waits on a receiver.
import type { NotifyTarget } from '../inventory/types.js';
import type { RolloutEvent } from '../rollout/core/events.js';
import { deliverCommand } from './command.js';
import { TERMINAL_EVENTS } from './eventNames.js';
import { targetLabel } from './label.js';
import { deliverWebhook, type DeliveryResult } from './webhook.js';

/**
 * 3 s at exit, only for a terminal event still in flight: a healthy webhook (a chat service across
 * the internet) answers within about a second, and 3 s leaves room for one retry after a refused
 * connection (0.5 s back-off). A dead receiver then costs a CI job at most 3 s, once; the exit
 * code, journal and report are final before the wait starts.
 */
export const DRAIN_MS = 3_000;

/** Events queued per receiver beyond this are dropped (with one warning): a dead receiver with a
 *  chatty `events:` list must not grow memory for the whole rollout. */
export const QUEUE_CAP = 100;

/** After this many failures of one receiver, later ones go to the journal only. */
export const WARN_LIMIT = 3;

export interface NotifierOptions {
  readonly targets: readonly NotifyTarget[];
  readonly runId: string;
  readonly userAgent: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => number;
  /** A failure, in words without secrets. Must not feed back into dispatch(). */
  readonly warn: (message: string) => void;
  /** Journal evidence (a `notify` note record per delivery). */
  readonly record: (r: NotifyRecord) => void;
}

export interface NotifyRecord {
  readonly kind: 'notify';
  readonly runId: string;
  readonly [field: string]: unknown;
}

export interface DrainResult {
  /** Deliveries still running when the wait ended (abandoned). */
  readonly abandoned: number;
  readonly waitedMs: number;
}

export interface Notifier {
  /** Queue `e` for every receiver that subscribed to its type. Returns at once. */
  dispatch(e: RolloutEvent): void;
  /** Deliveries queued or running. */
  readonly pending: number;
  /** Resolves once every queued delivery finished (tests; the CLI uses drain()). */
  settled(): Promise<void>;
  /** At exit: wait ≤ maxMs while a terminal event is in flight, then abandon the rest. Idempotent. */
  drain(maxMs?: number): Promise<DrainResult>;
}

interface Lane {
  readonly target: NotifyTarget;
  readonly label: string;
  chain: Promise<void>;
  queued: number;
  terminalQueued: number;
  failures: number;
  dropped: number;
}

export function createNotifier(o: NotifierOptions): Notifier {
  const lanes: Lane[] = o.targets.map((target, i) => ({
    target,
    label: targetLabel(target, i),
    chain: Promise.resolve(),
    queued: 0,
    terminalQueued: 0,
    failures: 0,
    dropped: 0,
  }));
  const abandon = new AbortController();
  let closed = false;

  const report = (lane: Lane, e: RolloutEvent, r: DeliveryResult) => {
    o.record({
      kind: 'notify',
      runId: o.runId,
      target: lane.label,
      event: e.type,
      ok: r.ok,
      attempts: r.attempts,
      durationMs: Math.round(r.durationMs),
      ...(r.status ? { status: r.status } : {}),
      ...(r.error ? { error: r.error } : {}),
    });
    if (r.ok) return;
    lane.failures++;
    if (lane.failures > WARN_LIMIT) return;
    const tries = lane.target.kind === 'webhook' ? ` after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}` : '';
    const more = lane.failures === WARN_LIMIT ? '; further failures of this receiver go to the journal only' : '';
    o.warn(`notification not delivered: ${lane.label} (${e.type}): ${r.error ?? 'failed'}${tries}${more}`);
  };

  const deliver = (lane: Lane, e: RolloutEvent): Promise<DeliveryResult> => {
    const common = { timeoutMs: lane.target.timeoutSeconds * 1000, runId: o.runId, signal: abandon.signal, now: o.now };
    if (abandon.signal.aborted)
      return Promise.resolve({ ok: false, attempts: 0, durationMs: 0, error: 'abandoned at exit (not sent)' });
    return lane.target.kind === 'webhook'
      ? deliverWebhook(lane.target.url, e, { ...common, userAgent: o.userAgent })
      : deliverCommand(lane.target.command, e, { ...common, env: o.env });
  };

  return {
    dispatch(e) {
      if (closed) return;
      for (const lane of lanes) {
        if (!lane.target.events.includes(e.type)) continue;
        if (lane.queued >= QUEUE_CAP) {
          if (lane.dropped++ === 0)
            o.warn(
              `notification queue of ${lane.label} is full (${QUEUE_CAP} events, the receiver is not keeping up): dropping ${e.type} and later events for it`,
            );
          o.record({
            kind: 'notify',
            runId: o.runId,
            target: lane.label,
            event: e.type,
            ok: false,
            attempts: 0,
            error: 'dropped: queue full',
          });
          continue;
        }
        const terminal = TERMINAL_EVENTS.has(e.type);
        lane.queued++;
        if (terminal) lane.terminalQueued++;
        lane.chain = lane.chain
          .then(() => deliver(lane, e))
          .then((r) => report(lane, e, r))
          .catch(() => undefined) // a bug in reporting must not break the lane
          .finally(() => {
            lane.queued--;
            if (terminal) lane.terminalQueued--;
          });
      }
    },
    get pending() {
      return lanes.reduce((n, l) => n + l.queued, 0);
    },
    async settled() {
      await Promise.all(lanes.map((l) => l.chain));
    },
    async drain(maxMs = DRAIN_MS) {
      const t0 = o.now();
      closed = true;
      const all = () => Promise.all(lanes.map((l) => l.chain));
      if (lanes.some((l) => l.terminalQueued > 0)) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([all(), new Promise<void>((r) => (timer = setTimeout(r, maxMs)))]);
        clearTimeout(timer);
      }
      const abandoned = lanes.reduce((n, l) => n + l.queued, 0);
      abandon.abort();
      await all(); // settles promptly: sockets are destroyed and hook groups killed on abort
      return { abandoned, waitedMs: o.now() - t0 };
    },
  };
}
