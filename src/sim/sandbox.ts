// `emqx-rollout sandbox up|down`: a simulated cluster left running in the background. `up` spawns
// a detached supervisor (supervisor.ts) and waits for its sandbox.json; `down` stops the
// supervisor and every node daemon under the dir. Both are idempotent.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RolloutError } from '../util/errors.js';
import { nodeRootOf, stopNodeDaemon } from './cluster.js';
import { SANDBOX_ERROR, SANDBOX_JSON, SANDBOX_LOG, type SandboxInfo } from './sandboxInfo.js';

export { formatSandboxInfo, type SandboxInfo } from './sandboxInfo.js';

/** Start-up builds two tarballs, generates keys and boots N nodes: ~2 s for 3 nodes here. */
const UP_TIMEOUT_MS = 90_000;
const DOWN_TIMEOUT_MS = 15_000;

function supervisorPath(): string {
  const here = fileURLToPath(new URL('./supervisor.js', import.meta.url));
  if (existsSync(here)) return here;
  const dist = here.replace(/([\\/])src([\\/])sim([\\/])supervisor\.js$/, '$1dist$2sim$3supervisor.js');
  if (existsSync(dist)) return dist;
  throw new RolloutError('internal', `the sandbox supervisor is not built: ${dist} does not exist`, {
    hint: 'run `npm run build` first',
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function readInfo(dir: string): Promise<SandboxInfo | null> {
  try {
    return JSON.parse(await readFile(join(dir, SANDBOX_JSON), 'utf8')) as SandboxInfo;
  } catch {
    return null;
  }
}

export interface SandboxUpOptions {
  readonly dir: string;
  readonly nodes?: number;
  readonly from?: string;
  readonly to?: string;
  /** 'pkg': package-layout nodes reached as a simulated non-root user through sudo (cluster.ts). */
  readonly layout?: 'tgz' | 'pkg';
  readonly sshUser?: string;
  /** Every node's `emqx ctl` latency in ms (the cost model of a real node); default off. */
  readonly ctlLatencyMs?: number;
}

export async function sandboxUp(opts: SandboxUpOptions): Promise<SandboxInfo> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const existing = await readInfo(dir);
  if (existing && alive(existing.pid)) return existing; // already up: idempotent
  await sandboxDown(dir); // leftovers of a crashed sandbox
  const args = [supervisorPath(), '--dir', dir];
  if (opts.nodes !== undefined) args.push('--nodes', String(opts.nodes));
  if (opts.from) args.push('--from', opts.from);
  if (opts.to) args.push('--to', opts.to);
  if (opts.layout) args.push('--layout', opts.layout);
  if (opts.sshUser) args.push('--ssh-user', opts.sshUser);
  if (opts.ctlLatencyMs) args.push('--ctl-latency-ms', String(opts.ctlLatencyMs));
  const log = openSync(join(dir, SANDBOX_LOG), 'a');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], cwd: dir });
  closeSync(log);
  let exit: number | null = null;
  child.on('exit', (c) => (exit = c ?? 1));
  const until = Date.now() + UP_TIMEOUT_MS;
  try {
    while (Date.now() < until) {
      const info = await readInfo(dir);
      if (info) return info;
      if (exit !== null || existsSync(join(dir, SANDBOX_ERROR))) {
        const why = await readFile(join(dir, SANDBOX_ERROR), 'utf8').catch(() => `supervisor exited with ${exit}`);
        throw new RolloutError('internal', `sandbox did not start: ${why}`, {
          details: [`log: ${join(dir, SANDBOX_LOG)}`],
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new RolloutError('internal', `sandbox did not start within ${UP_TIMEOUT_MS / 1000} s`, {
      details: [`log: ${join(dir, SANDBOX_LOG)}`],
    });
  } catch (e) {
    if (child.pid && alive(child.pid)) process.kill(child.pid, 'SIGTERM');
    await sandboxDown(dir);
    throw e;
  } finally {
    child.unref();
  }
}

/** Stops whatever is there; true when there was a sandbox (its sandbox.json or node dirs) to stop. */
export async function sandboxDown(dirIn: string): Promise<boolean> {
  const dir = resolve(dirIn);
  const info = await readInfo(dir);
  const nodesDir = join(dir, 'nodes');
  const found = info !== null || existsSync(nodesDir);
  if (info && alive(info.pid)) {
    process.kill(info.pid, 'SIGTERM');
    const until = Date.now() + DOWN_TIMEOUT_MS;
    while (alive(info.pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    if (alive(info.pid)) process.kill(info.pid, 'SIGKILL');
  }
  // node daemons started by the supervisor — or later by an operator's `bin/emqx start` over SSH
  if (existsSync(nodesDir)) {
    for (const n of readdirSync(nodesDir)) {
      const root = nodeRootOf(join(nodesDir, n));
      if (root) await stopNodeDaemon(root);
    }
  }
  await rm(join(dir, SANDBOX_JSON), { force: true });
  return found;
}
