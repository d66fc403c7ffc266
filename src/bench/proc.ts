// Spawning a contender and timing it from the outside: spawn → exit, with a hard timeout that kills
// its whole process group, and the peak RSS of the process (GNU time's %M, when installed).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export interface Timed {
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly spawnAt: number;
  readonly exitAt: number;
  readonly wallMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak resident set of the process in KiB (null without GNU time). */
  readonly maxRssKb: number | null;
}

let seq = 0;

export function runTimed(
  argv: readonly string[],
  o: { env?: Record<string, string>; timeoutMs: number; cwd?: string },
): Promise<Timed> {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}-${++seq}`);
  const full = GNU_TIME ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...argv] : [...argv];
  return new Promise((resolve) => {
    const spawnAt = Date.now();
    const p = spawn(full[0], full.slice(1), {
      env: { ...process.env, ...o.env },
      cwd: o.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-200_000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, o.timeoutMs);
    p.on('close', (code, signal) => {
      const exitAt = Date.now();
      clearTimeout(timer);
      let maxRssKb: number | null = null;
      try {
        const m = /(\d+)\s*$/.exec(readFileSync(rssFile, 'utf8'));
        if (m) maxRssKb = Number(m[1]);
        rmSync(rssFile, { force: true });
      } catch {
        /* no GNU time output */
      }
      resolve({ code, signal, timedOut, spawnAt, exitAt, wallMs: exitAt - spawnAt, stdout, stderr, maxRssKb });
    });
  });
}

/** NDJSON lines of stdout that parse as objects (anything else is skipped). */
export function ndjson(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* a torn line */
    }
  }
  return out;
}
