// The built CLI as a background process whose NDJSON stdout can be watched while it runs: a run
// waiting for approval is answered by a second process only once it said it waits.
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO, cliPath, parseNdjson, type CliEvent } from './cli.js';

export interface Background {
  readonly child: ChildProcess;
  /** Resolves with the first event of this type (rejects if the process ends first or after timeoutMs). */
  waitForEvent(type: string, timeoutMs?: number): Promise<CliEvent>;
  /** Resolves when the process ended. */
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    events: CliEvent[];
    durationMs: number;
  }>;
}

export function startCli(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Background {
  const t0 = Date.now();
  const child = spawn(process.execPath, [cliPath(), ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: '1', CI: 'true', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const w of [...waiters]) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 170_000);
  const done = new Promise<Awaited<Background['done']>>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      for (const w of [...waiters]) w();
      resolve({ code, signal, stdout, stderr, events: parseNdjson(stdout), durationMs: Date.now() - t0 });
    });
  });
  let ended = false;
  void done.then(() => (ended = true));
  return {
    child,
    done,
    waitForEvent(type, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          remove();
          reject(new Error(`no ${type} event within ${timeoutMs} ms; stdout so far:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const check = () => {
          const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
          const e = parseNdjson(complete).find((x) => x.type === type);
          if (e) {
            remove();
            resolve(e);
          } else if (ended) {
            remove();
            reject(new Error(`the CLI ended (no ${type} event); stdout:\n${stdout}\nstderr:\n${stderr}`));
          }
        };
        const remove = () => {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
        };
        waiters.push(check);
        check();
      });
    },
  };
}
