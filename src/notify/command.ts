// One command-hook delivery: `/bin/sh -c COMMAND` on this machine with the event JSON (one line)
// on stdin, EMQX_ROLLOUT_EVENT / EMQX_ROLLOUT_RUN_ID in its environment. Its own deadline
// (timeoutSeconds), after which its whole process group is killed — a hook that forks a
// `sleep 3600` must not outlive the run. No retries: a local command that failed will most likely
// fail again, and it may have done part of its work (posted a message) before failing.
import { spawn } from 'node:child_process';
import type { DeliveryResult } from './webhook.js';

/** What is kept of a failing hook's stderr for the warning: its tail, enough to see why. */
const STDERR_TAIL = 300;

export function deliverCommand(
  command: string,
  event: { readonly type: string },
  opts: {
    readonly timeoutMs: number;
    readonly runId: string;
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly signal: AbortSignal;
    readonly now: () => number;
  },
): Promise<DeliveryResult> {
  const t0 = opts.now();
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    // detached: its own process group, so the deadline kills the hook and everything it started.
    const child = spawn('/bin/sh', ['-c', command], {
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...opts.env, EMQX_ROLLOUT_EVENT: event.type, EMQX_ROLLOUT_RUN_ID: opts.runId },
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const finish = (r: Omit<DeliveryResult, 'attempts' | 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve({ ...r, attempts: 1, durationMs: opts.now() - t0 });
    };
    const timer = setTimeout(() => {
      killGroup();
      finish({ ok: false, error: `did not finish within ${opts.timeoutMs / 1000}s (killed)` });
    }, opts.timeoutMs);
    timer.unref();
    const onAbort = () => {
      killGroup();
      finish({ ok: false, error: 'abandoned at exit (killed)' });
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    child.unref();
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_TAIL);
    });
    // A hook that does not read its stdin closes the pipe: EPIPE is its business, not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${JSON.stringify(event)}\n`);
    child.on('error', (e: NodeJS.ErrnoException) =>
      finish({ ok: false, error: `could not start /bin/sh: ${e.code ?? e.message}` }),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return finish({ ok: true });
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      finish({ ok: false, error: `${why}${tail ? `: ${tail}` : ''}` });
    });
  });
}
