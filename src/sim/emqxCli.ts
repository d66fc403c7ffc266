#!/usr/bin/env node
// The program behind a simulated node's bin/emqx (the wrapper script execs it with
// RUNNER_ROOT_DIR / BASE_RUNNER_ROOT_DIR set). It is its own executable, like the real
// bin/emqx + nodetool pair: it sets process.exitCode and never touches the orchestrator's exit path.
// Kept light: only `__daemon` loads aedes/tar (each ctl call pays Node's start-up only).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { socketPath } from './layout.js';
import { readNodeConfig } from './nodeConfig.js';
import { binUsage, notResponding } from './outputs.js';
import { rpcCall } from './rpc.js';

/** EMQX_WAIT_FOR_START defaults to 120 s in the real script; the simulator boots in < 1 s. */
const START_WAIT_MS = 30_000;
const STOP_WAIT_MS = 15_000;

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function readRelVsnSync(root: string): string {
  // same regex as the relup plugin; duplicated here to keep this entry free of the daemon's imports
  return /^REL_VSN="([^"]+)"/m.exec(readFileSync(join(root, 'releases', 'emqx_vars'), 'utf8'))?.[1] ?? 'unknown';
}

async function main(argv: string[]): Promise<number> {
  const runnerRoot = process.env.RUNNER_ROOT_DIR;
  if (!runnerRoot) {
    err('ERROR: RUNNER_ROOT_DIR is not set; run this through the release\'s bin/emqx\n');
    return 1;
  }
  const baseRoot = process.env.BASE_RUNNER_ROOT_DIR || runnerRoot;
  const [cmd, ...rest] = argv;
  if (cmd === '__daemon') {
    const { runDaemon } = await import('./nodeDaemon.js');
    await runDaemon(runnerRoot, baseRoot);
    return 0;
  }
  const cfg = readNodeConfig(baseRoot);
  const sock = socketPath(baseRoot);
  switch (cmd) {
    case undefined:
      out(binUsage());
      return 1;
    case 'help':
      out(binUsage());
      return 0;
    case 'root_dir':
      out(`${runnerRoot}\n`);
      return 0;
    case 'ertspath':
      out(`${join(runnerRoot, 'erts-15.2.7.2', 'bin')}\n`);
      return 0;
    case 'start':
    case 'console':
    case 'foreground':
      if (cmd !== 'start') break; // interactive modes are not simulated
      return start(runnerRoot, baseRoot, cfg.name, sock);
    case 'stop': {
      const r = await rpcCall(sock, { op: 'stop' });
      if (!r || r.down) {
        err(notResponding(cfg.name));
        return 1;
      }
      const until = Date.now() + STOP_WAIT_MS;
      while (Date.now() < until && (await rpcCall(sock, { op: 'ping' }, 500)) !== null) await sleep(50);
      out(r.out);
      return 0;
    }
    case 'ping':
    case 'pid': {
      const r = await rpcCall(sock, { op: 'ping' });
      if (!r || r.down) {
        err(notResponding(cfg.name));
        return 1;
      }
      out(cmd === 'ping' ? r.out : `${r.pid}\n`);
      return 0;
    }
    case 'ctl': {
      if (cfg.ctlLatencyMs) await sleep(cfg.ctlLatencyMs);
      const r = await rpcCall(sock, { op: 'ctl', args: rest });
      if (!r || r.down) {
        err(notResponding(cfg.name));
        return 1;
      }
      out(r.out);
      err(r.err);
      return r.code;
    }
  }
  // includes `restart`: bin/emqx 5.10 has none (`*) usage "$COMMAND"; exit 1`)
  out(binUsage());
  return 1;
}

async function start(runnerRoot: string, baseRoot: string, name: string, sock: string): Promise<number> {
  const alive = await rpcCall(sock, { op: 'ping' }, 2000);
  if (alive && !alive.down) {
    // [guess] the real script dies with a similar line when a node already runs from this root
    err(`ERROR: Node ${name} is already running!\n`);
    return 1;
  }
  const vsn = readRelVsnSync(runnerRoot);
  mkdirSync(join(baseRoot, 'log'), { recursive: true });
  const logFd = openSync(join(baseRoot, 'log', 'emqx.log'), 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '__daemon'], {
    detached: true, // own session: survives the SSH channel / shell that started it
    stdio: ['ignore', logFd, logFd],
    cwd: baseRoot,
    env: { ...process.env, RUNNER_ROOT_DIR: runnerRoot, BASE_RUNNER_ROOT_DIR: baseRoot },
  });
  closeSync(logFd);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  const until = Date.now() + START_WAIT_MS;
  while (Date.now() < until && exited === null) {
    const r = await rpcCall(sock, { op: 'ping' }, 1000);
    if (r && !r.down) {
      child.unref();
      out(`EMQX Enterprise ${vsn} is started successfully!\n`);
      return 0;
    }
    await sleep(50);
  }
  child.unref();
  err(`ERROR: EMQX Enterprise ${vsn} failed to start${exited !== null ? ` (exit ${exited}); see ${join(baseRoot, 'log', 'emqx.log')}` : ' within 30 seconds'}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
