// Writing renderer output safely. A reader that goes away (`emqx-rollout upgrade | head`, a closed
// ssh session to the bastion) must never crash a rollout halfway through a node's relup: the
// stream's EPIPE is recorded and further output dropped, while the journal keeps the full record.

export interface Output {
  write(text: string): void;
  /** Resolves once everything written so far has been handed to the OS (or the stream broke). */
  flush(): Promise<void>;
  /** The error that closed the stream, if any (for the CLI to mention after the run). */
  readonly broken: Error | null;
}

type Stream = NodeJS.WritableStream & { writableEnded?: boolean; destroyed?: boolean };

export function guardedOutput(out: NodeJS.WritableStream): Output {
  const s = out as Stream;
  let broken: Error | null = null;
  // An unhandled 'error' event on a stream throws from the event loop: handle it here, once.
  if (typeof s.on === 'function') {
    s.on('error', (e: Error) => {
      broken ??= e;
    });
  }
  const dead = () => broken !== null || s.writableEnded === true || s.destroyed === true;
  return {
    write(text) {
      if (dead()) return;
      try {
        s.write(text);
      } catch (e) {
        broken ??= e instanceof Error ? e : new Error(String(e));
      }
    },
    flush() {
      if (dead()) return Promise.resolve();
      return new Promise((resolve) => {
        try {
          // The callback runs after the preceding writes completed, or with an error: either way, done.
          s.write('', () => resolve());
        } catch {
          resolve();
        }
      });
    },
    get broken() {
      return broken;
    },
  };
}
