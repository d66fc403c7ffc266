// The MQTT continuity gate's verdict: a pure function of what the probe client recorded (mqttProbe.ts
// does the I/O). A hot upgrade keeps MQTT sessions; the probe proves it on the node itself.
//
// The rule: the probe client stayed connected (no disconnect), and every probe it published was
// received back exactly once and in the order it was sent.
// - Identity is the payload (`<clientId>:<seq>`, src/mqtt/codec.ts), never the MQTT packet id.
// - Lost: sent but not received — after the final drain; in an interim check only when older
//   than the grace period (a probe sent 50 ms ago is "pending", not lost).
// - Duplicates FAIL the gate. QoS 1 is at-least-once, but a broker redelivers (DUP) only when a
//   session resumes after a reconnect; our client uses one clean session and never reconnects, so a
//   second copy on a live connection means the broker replayed messages across the hop — not the
//   continuity we promise. The count is reported so a reader sees it was a duplicate, not a loss.
// - Out of order FAILS too: MQTT orders QoS 1 messages from one publisher on one topic, and EMQX
//   keeps that order; a probe arriving after a later one was already received is counted once.
// - Payloads that are not our probes (another client's, or an earlier run's) are ignored.
import type { MqttProbeCounts } from '../core/events.js';
import type { GateResult } from './gates.js';

export interface ProbeLog {
  /** Send time (ms) of every probe handed to the client, in order: index k-1 is probe seq k. */
  readonly sentAt: readonly number[];
  /** How many the broker acknowledged (PUBACK). */
  readonly acked: number;
  /** Our own probes' sequence numbers, in arrival order (duplicates included). */
  readonly received: readonly number[];
  /** Times the connection was lost after it was up. */
  readonly disconnects: number;
  /** Why and when, for the evidence (e.g. "connection closed at +2.4s after 12 probes"). */
  readonly notes: readonly string[];
}

export interface ProbeJudgeOptions {
  /** The clock (ms), for the grace period of an interim check. */
  readonly now: number;
  /** An interim check treats unanswered probes younger than this as pending. */
  readonly graceMs: number;
  /** The last check: after the drain, anything not received is lost. */
  readonly final: boolean;
  /** For messages: "127.0.0.1:1883 on emqx@10.0.0.11 via SSH, topic …". */
  readonly where: string;
}

const MAX_LISTED = 10;

/** "3, 7–9, 12" for a sorted list of integers; at most MAX_LISTED runs, then "…". */
export function ranges(xs: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    runs.push(i === j ? `${xs[i]}` : `${xs[i]}–${xs[j]}`);
    i = j + 1;
  }
  return runs.length > MAX_LISTED ? `${runs.slice(0, MAX_LISTED).join(', ')}, …` : runs.join(', ');
}

export function probeCounts(
  log: ProbeLog,
  o: Pick<ProbeJudgeOptions, 'now' | 'graceMs' | 'final'>,
): MqttProbeCounts & {
  readonly lostSeqs: readonly number[];
  readonly duplicateSeqs: readonly number[];
  readonly lateSeqs: readonly number[];
} {
  const sent = log.sentAt.length;
  const seen = new Set<number>();
  const duplicateSeqs: number[] = [];
  const lateSeqs: number[] = [];
  let max = 0;
  for (const seq of log.received) {
    if (!Number.isInteger(seq) || seq < 1 || seq > sent) continue; // not one we sent in this run
    if (seen.has(seq)) {
      duplicateSeqs.push(seq);
      continue;
    }
    seen.add(seq);
    if (seq < max) lateSeqs.push(seq);
    else max = seq;
  }
  const lostSeqs: number[] = [];
  let pending = 0;
  for (let seq = 1; seq <= sent; seq++) {
    if (seen.has(seq)) continue;
    if (o.final || o.now - log.sentAt[seq - 1] > o.graceMs) lostSeqs.push(seq);
    else pending++;
  }
  return {
    sent,
    acked: log.acked,
    received: seen.size,
    lost: lostSeqs.length,
    pending,
    duplicates: duplicateSeqs.length,
    outOfOrder: lateSeqs.length,
    disconnects: log.disconnects,
    lostSeqs,
    duplicateSeqs: [...new Set(duplicateSeqs)].sort((a, b) => a - b),
    lateSeqs: [...lateSeqs].sort((a, b) => a - b),
  };
}

export function judgeProbe(log: ProbeLog, o: ProbeJudgeOptions): GateResult {
  const c = probeCounts(log, o);
  const { lostSeqs, duplicateSeqs, lateSeqs, ...probe } = c;
  const inFlight = (pre: string, post: string): string => (c.pending ? `${pre}${c.pending} in flight${post}` : '');
  const problems: string[] = [];
  if (c.disconnects > 0) {
    problems.push(`the probe client was disconnected${c.disconnects > 1 ? ` ${c.disconnects}×` : ''}`);
  }
  if (c.lost > 0) problems.push(`${c.lost} of ${c.sent} probes lost`);
  if (c.duplicates > 0) problems.push(`${c.duplicates} probe${c.duplicates === 1 ? '' : 's'} received twice`);
  if (c.outOfOrder > 0) problems.push(`${c.outOfOrder} probe${c.outOfOrder === 1 ? '' : 's'} out of order`);
  if (o.final && c.sent === 0 && c.disconnects === 0) problems.push('no probe was published (the probe never ran)');
  const evidence = [
    ...log.notes,
    ...(lostSeqs.length ? [`lost: ${ranges(lostSeqs)}`] : []),
    ...(duplicateSeqs.length ? [`received twice: ${ranges(duplicateSeqs)}`] : []),
    ...(lateSeqs.length ? [`out of order: ${ranges(lateSeqs)}`] : []),
    `sent ${c.sent}, acknowledged ${c.acked}, received ${c.received}${inFlight(', ', '')} (${o.where})`,
  ];
  if (problems.length > 0) {
    return { gate: 'mqtt', ok: false, message: `MQTT continuity: ${problems.join('; ')}`, evidence, probe };
  }
  const message = o.final
    ? `${c.received}/${c.sent} probes received once and in order, no disconnect (${o.where})`
    : `${c.received}/${c.sent} probes received in order so far${inFlight(' (', ')')}, still connected`;
  return { gate: 'mqtt', ok: true, message, probe };
}
