// A renderer in front of the chosen one: the demo reads the outcome off the same event stream the
// view draws (nodes upgraded, the rollout's duration), and its traffic timer cannot write into a
// view that has already finished (Ink unmounted, plain output closed).
import type { RolloutEvent } from '../rollout/core/events.js';
import type { Renderer } from '../ui/renderer.js';

export interface RunSeen {
  upgraded: number;
  durationMs: number | null;
}

export function watchRun(inner: Renderer): { renderer: Renderer; seen: Readonly<RunSeen> } {
  const seen: RunSeen = { upgraded: 0, durationMs: null };
  let finished = false;
  return {
    seen,
    renderer: {
      onEvent(e: RolloutEvent) {
        if (finished) return;
        if (e.type === 'node.done' && e.outcome === 'upgraded') seen.upgraded++;
        if (e.type === 'rollout.done') seen.durationMs = e.durationMs;
        inner.onEvent(e);
      },
      finish() {
        finished = true;
        return inner.finish();
      },
    },
  };
}
