// NDJSON: one JSON object per line per event, exactly as emitted (ts, type, node where there is
// one — PRODUCT.md "Output"), for machines: CI steps, `jq`, dashboards.
import type { RolloutEvent } from '../rollout/core/events.js';
import { tsMs } from './format.js';
import type { Renderer } from './renderer.js';
import { guardedOutput } from './output.js';

/**
 * 250 ms: at most 4 progress lines per second per node and file. SFTP reports every 32 KiB chunk,
 * i.e. ~3 000 events/s on a LAN for a 100 MB tarball; a log consumer needs the trend, not each chunk.
 */
export const PROGRESS_INTERVAL_MS = 250;

export function createJsonRenderer(stream: NodeJS.WritableStream): Renderer {
  const out = guardedOutput(stream);
  // Keyed by node and file; times from event ts (the injected clock), so replays throttle the same way.
  const lastProgress = new Map<string, number>();
  return {
    onEvent(e: RolloutEvent) {
      if (e.type === 'stage.progress' && !e.done) {
        const key = `${e.node}\u0000${e.file}`;
        const at = tsMs(e.ts);
        const prev = lastProgress.get(key);
        if (prev !== undefined && Number.isFinite(at) && at - prev < PROGRESS_INTERVAL_MS) return;
        lastProgress.set(key, at);
      }
      out.write(JSON.stringify(e) + '\n');
    },
    finish: () => out.flush(),
  };
}
