import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonRenderer } from '../../src/ui/ndjson.js';
import { createPlainRenderer } from '../../src/ui/plain.js';
import { cleanRollout } from './fixtures.js';

/**
 * A pipe whose reader exits after one byte, built the way Node builds process.stdout for a pipe
 * (a net.Socket on the fd): `emqx-rollout upgrade | head -c 1`. Writes after that get EPIPE.
 */
async function pipeToHead(dir: string): Promise<{ stream: Socket; readerGone: Promise<unknown> }> {
  const fifo = join(dir, 'out');
  execFileSync('mkfifo', [fifo]);
  const child = spawn('sh', ['-c', `head -c 1 < '${fifo}' > /dev/null`], { stdio: 'ignore' });
  const fd = openSync(fifo, 'w'); // returns once the reader has the fifo open
  return { stream: new Socket({ fd, readable: false, writable: true }), readerGone: once(child, 'exit') };
}

describe('renderers on a pipe whose reader went away', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  for (const [name, make] of [
    ['plain', (s: NodeJS.WritableStream) => createPlainRenderer(s, { color: false })],
    ['ndjson', (s: NodeJS.WritableStream) => createJsonRenderer(s)],
  ] as const) {
    it(`${name}: EPIPE is absorbed, later events are dropped, finish() resolves`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-epipe-'));
      dirs.push(dir);
      const { stream, readerGone } = await pipeToHead(dir);
      const r = make(stream);
      const events = cleanRollout();
      r.onEvent(events[0]);
      await readerGone;
      // No error listener here on purpose: an unhandled 'error' event would fail this test file.
      for (const e of events.slice(1)) {
        r.onEvent(e);
        await new Promise((res) => setTimeout(res, 1));
      }
      await r.finish();
      expect(stream.errored ?? stream.destroyed).toBeTruthy(); // the pipe really broke
      stream.destroy();
    });
  }
});
