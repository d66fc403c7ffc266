// Helpers for the crash-safety and real-sshd end-to-end tests: run the BUILT CLI (dist/cli/main.js)
// as a child process, read its NDJSON stream while it runs, SIGKILL it at a chosen event, and read
// back what the nodes and the journal say afterwards.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readState, type LogRow } from '../../../src/sim/state.js';

export const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const CLI = join(REPO, 'dist', 'cli', 'main.js');

export { ensureBuilt } from '../../support/build.js';

export interface CliEvent {
  readonly ts: string;
  readonly type: string;
  readonly node?: string;
  readonly [k: string]: unknown;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Parsed NDJSON lines of stdout (with --json); other lines are ignored. */
  readonly events: CliEvent[];
}

/** A child env without CI/TTY influence on the renderer; NO_COLOR keeps plain output greppable. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.EMQX_ROLLOUT_PASSPHRASE;
  return env;
}

function parseEvents(stdout: string): CliEvent[] {
  const out: CliEvent[] = [];
  for (const l of stdout.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as CliEvent);
    } catch {
      // a line cut by SIGKILL
    }
  }
  return out;
}

export interface RunningCli {
  readonly pid: number;
  readonly child: ChildProcess;
  events(): CliEvent[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first event matching `pred` (already seen or future); rejects on exit or timeout. */
  waitFor(pred: (e: CliEvent) => boolean, timeoutMs: number, what: string): Promise<CliEvent>;
  /** Resolves when the process exited (whatever the reason). */
  done: Promise<CliResult>;
}

export function startCli(
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    env: childEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let parsed: CliEvent[] = [];
  let pending = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
    pending += d;
    const nl = pending.lastIndexOf('\n');
    if (nl >= 0) {
      parsed = parsed.concat(parseEvents(pending.slice(0, nl)));
      pending = pending.slice(nl + 1);
      for (const w of [...waiters]) w();
    }
  });
  child.stderr.on('data', (d: string) => (err += d));
  const done = new Promise<CliResult>((res) => {
    child.once('close', (code, signal) => {
      if (pending) parsed = parsed.concat(parseEvents(pending));
      for (const w of [...waiters]) w();
      res({ code, signal, stdout: out, stderr: err, events: parsed });
    });
  });
  let exited = false;
  void done.then(() => (exited = true));
  return {
    pid: child.pid!,
    child,
    events: () => parsed,
    stdout: () => out,
    stderr: () => err,
    done,
    waitFor: (pred, timeoutMs, what) =>
      new Promise<CliEvent>((res, rej) => {
        const check = () => {
          const hit = parsed.find(pred);
          if (hit) {
            cleanup();
            res(hit);
          } else if (exited) {
            cleanup();
            rej(
              new Error(
                `CLI exited (code ${child.exitCode}) before ${what}\nstdout tail:\n${out.slice(-3000)}\nstderr tail:\n${err.slice(-2000)}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          rej(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what}\nstdout tail:\n${out.slice(-3000)}\nstderr tail:\n${err.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Run the CLI to completion (bounded: SIGKILL after timeoutMs, then reject). */
export async function runCli(
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const c = startCli(args, opts);
  const limit = opts.timeoutMs ?? 90_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => {
      c.child.kill('SIGKILL');
      rej(
        new Error(
          `emqx-rollout ${args.join(' ')} did not finish within ${limit} ms\nstdout tail:\n${c.stdout().slice(-3000)}\nstderr tail:\n${c.stderr().slice(-2000)}`,
        ),
      );
    }, limit);
  });
  try {
    return await Promise.race([c.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILL and wait until the process is gone (and reaped, so its pid reads as dead). */
export async function sigkill(c: RunningCli): Promise<CliResult> {
  c.child.kill('SIGKILL');
  return c.done;
}

/** A short description of a failed CLI run for assertion messages. */
export function explain(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout tail:\n${r.stdout.slice(-4000)}\nstderr tail:\n${r.stderr.slice(-3000)}`;
}

// ---- what the nodes and the journal say ----------------------------------------------------------

/** The node's `emqx_relup_log` rows (the sim's persistent table; `relup logs` prints these). */
export function relupRows(rootDir: string): readonly LogRow[] {
  return readState(rootDir).logs;
}

export function successRows(rootDir: string): number {
  return relupRows(rootDir).filter((r) => r.result === 'success').length;
}

/** The version a sim node reports in `emqx ctl status` (`Node 'emqx@…' 5.10.5 is started`). */
export function runningVersion(rootDir: string): string {
  const out = execFileSync(join(rootDir, 'bin', 'emqx'), ['ctl', 'status'], { encoding: 'utf8', timeout: 30_000 });
  const v = /^Node '[^']+' (\S+) is started/m.exec(out)?.[1];
  if (!v) throw new Error(`unexpected \`emqx ctl status\` output on ${rootDir}: ${out}`);
  return v;
}

export type JournalRecord = {
  readonly kind: string;
  readonly runId?: string;
  readonly node?: string;
  readonly [k: string]: unknown;
};

export function readJournalFile(inventoryPath: string, cluster: string): JournalRecord[] {
  const file = join(resolve(inventoryPath, '..'), '.emqx-rollout', cluster, 'journal.ndjson');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as JournalRecord];
      } catch {
        return []; // a torn tail of a killed writer
      }
    });
}

/** Poll `pred` every 50 ms until true or the deadline; rejects with `what`. */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
