// Run the BUILT CLI the way an operator's script does: a child process with a pipe for stdin (not
// a TTY), stdout/stderr captured, the exit code returned. Never spawnSync: the simulated nodes'
// SSH servers live in the test process and must keep answering while the CLI runs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The built tree under test: `dist/` (what `npx tsc -p tsconfig.build.json` emits), or
 * EMQX_ROLLOUT_DIST (a private build, so a colleague's rebuild of dist/ cannot race a run).
 */
export function distDir(): string {
  const d = process.env.EMQX_ROLLOUT_DIST ? resolve(process.env.EMQX_ROLLOUT_DIST) : join(REPO, 'dist');
  if (!existsSync(join(d, 'cli', 'main.js')) || !existsSync(join(d, 'sim', 'cluster.js'))) {
    // Not a skip: the e2e suite exists to test the build, so a missing build is a failure.
    throw new Error(
      `the CLI is not built: ${join(d, 'cli', 'main.js')} is missing; run \`npx tsc -p tsconfig.build.json\` first`,
    );
  }
  return d;
}

export const cliPath = (): string => join(distDir(), 'cli', 'main.js');

export interface CliEvent {
  readonly ts: string;
  readonly type: string;
  readonly node?: string;
  readonly [k: string]: unknown;
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** stdout parsed as NDJSON (only meaningful with --json); throws on a non-JSON line. */
  events(): CliEvent[];
}

export function parseNdjson(text: string): CliEvent[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l) as CliEvent;
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the CLI (SIGKILL) after this long: a hung CLI must fail the test, not the suite. */
  readonly timeoutMs?: number;
}

export function runCli(args: readonly string[], opts: RunOptions = {}): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliPath(), ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(); // stdin is a closed pipe: not a TTY, and nothing to read
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, durationMs: Date.now() - t0, events: () => parseNdjson(stdout) });
    });
  });
}

/** `upgrade -i INV --tarball TB --yes --json [...extra]` */
export const upgradeArgs = (inventory: string, tarball: string, ...extra: string[]): string[] => [
  'upgrade',
  '-i',
  inventory,
  '--tarball',
  tarball,
  '--yes',
  '--json',
  ...extra,
];
