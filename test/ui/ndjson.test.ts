import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/rollout/core/events.js';
import { createJsonRenderer } from '../../src/ui/ndjson.js';
import { FILE, NODES, SIZE, cleanRollout, haltedRollout, ts } from './fixtures.js';
import { lineSink } from './helpers.js';

function run(events: RolloutEvent[]) {
  const sink = lineSink();
  const r = createJsonRenderer(sink.out);
  for (const e of events) r.onEvent(e);
  return sink.lines();
}

describe('NDJSON renderer', () => {
  it('one JSON object per line, parsing back to the events as emitted (ts, type, node)', () => {
    for (const events of [cleanRollout(), haltedRollout()]) {
      const lines = run(events);
      // The fixtures report progress every 2.5 s per node: nothing is throttled away.
      expect(lines.map((l) => JSON.parse(l))).toEqual(events);
      for (const l of lines) {
        const o = JSON.parse(l);
        expect(o.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(typeof o.type).toBe('string');
      }
    }
  });

  it('stage.progress is throttled to ≤ 4/s per node, the final one always written', () => {
    const events: RolloutEvent[] = [];
    // 2 nodes × 100 chunks 20 ms apart (2 s): 50/s per node
    for (let k = 1; k <= 100; k++) {
      for (const node of [NODES[0], NODES[1]]) {
        const done = k === 100;
        events.push({
          ts: ts(k * 20),
          type: 'stage.progress',
          node,
          file: FILE,
          bytesDone: (SIZE * k) / 100,
          bytesTotal: SIZE,
          rate: 1 << 20,
          done,
          ...(done ? { action: 'uploaded' as const } : {}),
        });
      }
    }
    const out = run(events).map((l) => JSON.parse(l) as Extract<RolloutEvent, { type: 'stage.progress' }>);
    for (const node of [NODES[0], NODES[1]]) {
      const mine = out.filter((e) => e.node === node);
      // 1.98 s of updates at ≥ 250 ms apart → 8 throttled + the final one
      expect(mine.length).toBe(9);
      expect(mine.at(-1)).toMatchObject({ done: true, bytesDone: SIZE });
      const times = mine.filter((e) => !e.done).map((e) => Date.parse(e.ts));
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(250);
    }
  });

  it('finish() resolves after the writes are flushed', async () => {
    const sink = lineSink();
    const r = createJsonRenderer(sink.out);
    r.onEvent(cleanRollout()[0]);
    await r.finish();
    expect(sink.lines()).toHaveLength(1);
  });
});
