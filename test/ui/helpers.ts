// Test helpers for the renderers: fake terminal streams and a polling waitFor.
import { EventEmitter } from 'node:events';

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
export const stripAnsi = (s: string): string => s.replace(ANSI, '');

/** A writable that records every write; `columns`/`isTTY` like a terminal; emits 'resize'. */
export class FakeTerminal extends EventEmitter {
  columns: number;
  rows = 40;
  isTTY = true;
  readonly writes: string[] = [];
  constructor(columns = 100) {
    super();
    this.columns = columns;
  }
  write = (chunk: string | Uint8Array, enc?: unknown, cb?: unknown): boolean => {
    this.writes.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') setImmediate(() => (done as () => void)());
    return true;
  };
  get text(): string {
    return this.writes.join('');
  }
  lastFrame(): string {
    // Ink writes cursor escapes after the last frame on unmount; those are not a frame.
    return this.writes.filter((w) => stripAnsi(w).trim() !== '').at(-1) ?? '';
  }
  resize(columns: number): void {
    this.columns = columns;
    this.emit('resize');
  }
}

/** Enough of a stdin for Ink when nothing reads input. */
export class FakeStdin extends EventEmitter {
  isTTY = false;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => null;
}

/** Polls until `check` stops throwing (Ink commits store-driven updates asynchronously). */
export async function waitFor(check: () => void, timeoutMs = 3_000, everyMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/** Collects what a renderer writes into lines. */
export function lineSink() {
  const chunks: string[] = [];
  const out = {
    write(s: string, cb?: () => void) {
      chunks.push(s);
      if (cb) setImmediate(cb);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return {
    out,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l, i, a) => !(l === '' && i === a.length - 1)),
  };
}
