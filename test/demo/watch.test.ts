import { describe, expect, it } from 'vitest';
import { watchRun } from '../../src/demo/watch.js';
import type { RolloutEvent } from '../../src/rollout/core/events.js';

describe('watchRun', () => {
  it('reads upgraded nodes and the duration off the stream, and drops events after finish', async () => {
    const got: string[] = [];
    let finished = 0;
    const w = watchRun({ onEvent: (e) => got.push(e.type), finish: async () => void finished++ });
    const ts = '2025-01-01T00:00:00.000Z';
    const events: RolloutEvent[] = [
      { ts, type: 'node.done', node: 'a', outcome: 'upgraded', from: '5.10.4', to: '5.10.5', durationMs: 1 },
      { ts, type: 'node.done', node: 'b', outcome: 'skipped', from: '5.10.5', to: '5.10.5', durationMs: 1 },
      { ts, type: 'rollout.done', rows: [], durationMs: 4200 },
    ];
    for (const e of events) w.renderer.onEvent(e);
    expect(w.seen).toEqual({ upgraded: 1, durationMs: 4200 });
    await w.renderer.finish();
    w.renderer.onEvent({
      ts,
      type: 'traffic',
      clients: 1,
      connected: 1,
      disconnects: 0,
      published: 1,
      received: 1,
      lost: 0,
    });
    expect(got).toEqual(['node.done', 'node.done', 'rollout.done']);
    expect(finished).toBe(1);
  });
});
