// Shared helpers of the simulator tests: build dist/ once (the node's bin/emqx runs the BUILT
// dist/sim/emqxCli.js), run bin/emqx directly, and ssh to a simulated node with OpenSSH.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function newestMtime(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return max;
}

/** Runs `tsc -p tsconfig.build.json` when dist/sim is older than src/sim (one builder at a time). */
export function ensureBuilt(): void {
  const built = (): boolean => {
    try {
      return statSync(join(REPO, 'dist/sim/emqxCli.js')).mtimeMs >= newestMtime(join(REPO, 'src/sim')) &&
        statSync(join(REPO, 'dist/sim/supervisor.js')).mtimeMs >= newestMtime(join(REPO, 'src/sim'));
    } catch {
      return false;
    }
  };
  if (built()) return;
  const lock = '/tmp/emqx-rollout-sim-build.lock';
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > until) throw new Error(`build lock ${lock} held for 120 s`);
      execFileSync('sleep', ['0.2']);
      if (built()) return;
    }
  }
  try {
    if (built()) return;
    try {
      // other engineers' in-progress files may have type errors: tsc still emits (exit 2)
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'pipe' });
    } catch {
      /* judged below by the emitted files */
    }
    if (!built()) throw new Error('dist/sim was not emitted; run `npx tsc -p tsconfig.build.json` to see why');
  } finally {
    rmdirSync(lock);
  }
}

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export function runCmd(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, [...args], { env: env ?? process.env, timeout: 60_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

/** `<root>/bin/emqx ARGS` as an operator's shell runs it (its own TMPDIR keeps caches in the test dir). */
export const emqx = (root: string, args: readonly string[], tmpDir?: string): Promise<Run> =>
  runCmd(join(root, 'bin', 'emqx'), args, tmpDir ? { ...process.env, TMPDIR: tmpDir } : process.env);

export function ssh(o: { key: string; knownHosts: string; port: number; user: string; host: string }, command: string): Promise<Run> {
  return runCmd('ssh', [
    '-i', o.key, '-o', `UserKnownHostsFile=${o.knownHosts}`, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
    '-p', String(o.port), `${o.user}@${o.host}`, command,
  ]);
}

export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
