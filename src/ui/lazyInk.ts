// The live Ink view, loaded only when a run is shown on a terminal. Ink, React and their dependencies
// are hundreds of modules (hundreds of ms to load on a busy machine): `--json`, `--plain`, a pipe or CI
// never load them. The view is mounted as soon as its modules are in; events that arrive before that
// are kept and replayed in order, so it shows exactly what it would have shown mounted at once.
import type { RolloutEvent } from '../rollout/core/events.js';
import type { InkRenderer, MountOptions } from './ink/mount.js';
import type { Renderer } from './renderer.js';

export interface LazyInkRenderer extends Renderer {
  /** The mounted view, once its modules are loaded (tests and key questions wait on it). */
  readonly mounted: Promise<InkRenderer>;
  ask(): Promise<'approve' | 'reject' | 'interrupt'>;
}

export function mountInkLazily(opts: MountOptions): LazyInkRenderer {
  let view: InkRenderer | null = null;
  const pending: RolloutEvent[] = [];
  const mounted = import('./ink/mount.js').then(({ mountInk }) => {
    const v = mountInk(opts);
    for (const e of pending.splice(0)) v.onEvent(e);
    view = v;
    return v;
  });
  // A load failure surfaces at finish() or ask(), where the caller awaits; never as an unhandled rejection.
  mounted.catch(() => undefined);
  return {
    mounted,
    onEvent(e: RolloutEvent) {
      if (view) view.onEvent(e);
      else pending.push(e);
    },
    ask: async () => (await mounted).ask(),
    finish: async () => (await mounted).finish(),
  };
}
