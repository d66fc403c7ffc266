// The demo's last line, decided from what happened (pure): did every node hot-upgrade, and did the
// MQTT clients notice? A hot upgrade must keep every session (0 disconnects) and every acknowledged
// message must arrive (0 lost); anything else is a failed demo, said plainly.
import type { TrafficSnapshot } from './traffic.js';

export interface VerdictInput {
  readonly nodes: number;
  readonly upgraded: number;
  readonly from: string;
  readonly to: string;
  /** The rollout's own duration (rollout.done), else the time the demo's upgrade took. */
  readonly durationMs: number;
  /** 'done' when the upgrade command finished without error. */
  readonly outcome: 'done' | 'failed';
  readonly traffic: TrafficSnapshot;
}

export interface Verdict {
  readonly ok: boolean;
  readonly line: string;
  /** Why it is not ok (empty when ok). */
  readonly problems: readonly string[];
}

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`): string => `${n(x)} ${x === 1 ? one : many}`;

/**
 * The verdict as terminal lines: one line when it fits `columns`, else the headline and the MQTT
 * facts on a second, indented line (the one-liner is ~130 columns; a wrapped word would split a
 * number from its unit).
 */
export function verdictLines(line: string, columns: number): string[] {
  if (line.length <= columns) return [line];
  const at = line.indexOf(' — ');
  if (at < 0) return [line];
  return [line.slice(0, at), `  ${line.slice(at + 3)}`];
}

export function demoVerdict(v: VerdictInput): Verdict {
  const t = v.traffic;
  const problems: string[] = [];
  if (v.outcome !== 'done') problems.push('the upgrade did not finish');
  if (v.upgraded !== v.nodes) problems.push(`${v.upgraded}/${v.nodes} nodes upgraded`);
  if (t.disconnects > 0)
    problems.push(`${plural(t.disconnects, 'MQTT disconnect')} during a hot upgrade (it must keep every session)`);
  if (t.connected < t.clients)
    problems.push(`${t.clients - t.connected}/${t.clients} MQTT clients not connected at the end`);
  if (t.lost > 0) problems.push(`${plural(t.lost, 'acknowledged message')} never reached the subscriber`);
  if (t.published === 0) problems.push('no MQTT message was published');
  const ok = problems.length === 0;
  const secs = `${(v.durationMs / 1000).toFixed(1)}s`;
  const clientsPart =
    t.connected === t.clients
      ? `${plural(t.clients, 'MQTT client')} stayed connected`
      : `${n(t.connected)}/${plural(t.clients, 'MQTT client')} connected`;
  const line =
    `${ok ? '✓' : '✗'} ${v.upgraded}/${v.nodes} nodes hot-upgraded ${v.from} → ${v.to} in ${secs} — ` +
    `${clientsPart}, ${plural(t.disconnects, 'disconnect')}, ${n(t.received)}/${n(t.published)} messages delivered, ${n(t.lost)} lost`;
  return { ok, line, problems };
}
