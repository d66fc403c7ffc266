// `logs`: the relup log rows of every node as one aligned table (rollout/logs/engine.ts builds them).
import type { TimelineRow } from '../rollout/logs/engine.js';
import { alignTable, versionHop } from './format.js';

export function renderTimeline(rows: readonly TimelineRow[]): string {
  return alignTable([
    ['node', 'started', 'finished', 'from → to', 'status', 'result'],
    ...rows.map((r) => [
      r.node,
      r.started,
      r.finished ?? '-',
      versionHop(r.from, r.to),
      r.status,
      r.result === 'error' ? `error: ${r.errType}` : r.result === 'unrecognised' ? `? ${r.details ?? ''}` : r.result,
    ]),
  ]).join('\n');
}
