#!/usr/bin/env node
// The program behind a simulated node's bin/emqx (the wrapper script execs it with
// RUNNER_ROOT_DIR / BASE_RUNNER_ROOT_DIR set). It is its own executable, like the real
// bin/emqx + nodetool pair: it sets process.exitCode and never touches the orchestrator's exit path.
// Kept light: only `__daemon` loads aedes/tar (each ctl call pays Node's start-up only).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { socketPath } from './layout.js';
import { readNodeConfig } from './nodeConfig.js';
import { bootDataDir, daemonArgs, etcNotFound } from './bootConfig.js';
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
    err("ERROR: RUNNER_ROOT_DIR is not set; run this through the release's bin/emqx\n");
    return 1;
  }
  const baseRoot = process.env.BASE_RUNNER_ROOT_DIR || runnerRoot;
  const [cmd, ...rest] = argv;
  if (cmd === '__daemon') {
    const { runDaemon } = await import('./nodeDaemon.js');
    // like the beam's command line: the data dir is the value after the last -emqx_data_dir
    const i = rest.lastIndexOf('-emqx_data_dir');
    const dataDir = i >= 0 && rest[i + 1] ? rest[i + 1] : join(baseRoot, 'data');
    await runDaemon(runnerRoot, baseRoot, dataDir, process.env.EMQX_LOG_DIR || join(baseRoot, 'log'));
    return 0;
  }
  const cfg = readNodeConfig(baseRoot);
  const sock = socketPath(baseRoot);
  const etcDir = process.env.EMQX_ETC_DIR || join(baseRoot, 'etc');
  /** bin/emqx dies on a missing emqx.conf when it has to read it: boot commands, or no node running. */
  const etcMissing = (): boolean => !existsSync(join(etcDir, 'emqx.conf'));
  const down = (): number => {
    err(etcMissing() ? etcNotFound(etcDir) : notResponding(cfg.name));
    return 1;
  };
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
      return start(runnerRoot, baseRoot, cfg.name, sock, etcDir);
    case 'stop': {
      const r = await rpcCall(sock, { op: 'stop' });
      if (!r || r.down) return down();
      const until = Date.now() + STOP_WAIT_MS;
      while (Date.now() < until && (await rpcCall(sock, { op: 'ping' }, 500)) !== null) await sleep(50);
      out(r.out);
      return 0;
    }
    case 'ping':
    case 'pid': {
      const r = await rpcCall(sock, { op: 'ping' });
      if (!r || r.down) return down();
      out(cmd === 'ping' ? r.out : `${r.pid}\n`);
      return 0;
    }
    case 'eval': {
      const r = await rpcCall(sock, { op: 'eval', expr: rest.join(' ') });
      if (!r || r.down) return down();
      out(r.out);
      err(r.err);
      return r.code;
    }
    case 'ctl': {
      // EMQX_SIM_CTL_SLEPT: the fast client (wrapperScript.ts) already waited, then found the node down.
      if (cfg.ctlLatencyMs && !process.env.EMQX_SIM_CTL_SLEPT) await sleep(cfg.ctlLatencyMs);
      const r = await rpcCall(sock, { op: 'ctl', args: rest });
      if (!r || r.down) return down();
      out(r.out);
      err(r.err);
      return r.code;
    }
  }
  // includes `restart`: bin/emqx 5.10 has none (`*) usage "$COMMAND"; exit 1`)
  out(binUsage());
  return 1;
}

async function start(
  runnerRoot: string,
  baseRoot: string,
  name: string,
  sock: string,
  etcDir: string,
): Promise<number> {
  const alive = await rpcCall(sock, { op: 'ping' }, 2000);
  if (alive && !alive.down) {
    // [guess] the real script dies with a similar line when a node already runs from this root
    err(`ERROR: Node ${name} is already running!\n`);
    return 1;
  }
  // bin/emqx@416bc5c:515: a boot command needs $EMQX_ETC_DIR/emqx.conf (a package node restarted
  // into a tarball-form relup tree looks for it under the root: facts A3, "Risk")
  if (!existsSync(join(etcDir, 'emqx.conf'))) {
    err(etcNotFound(etcDir));
    return 1;
  }
  const vsn = readRelVsnSync(runnerRoot);
  const logDir = process.env.EMQX_LOG_DIR || join(baseRoot, 'log');
  const dataDir = bootDataDir(process.env, readFileSync(join(etcDir, 'emqx.conf'), 'utf8'), baseRoot);
  mkdirSync(logDir, { recursive: true });
  mkdirSync(join(dataDir, 'configs'), { recursive: true });
  const args = daemonArgs({ baseRoot, runnerRoot, name, dataDir, vsn, now: new Date() });
  writeFileSync(args.configFile, `%% generated by bin/emqx (simulated) for ${name}\n[].\n`);
  writeFileSync(args.argsFile, `-name ${name}\n`);
  const logFd = openSync(join(logDir, 'emqx.log'), 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '__daemon', ...args.argv], {
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
  const log = join(logDir, 'emqx.log');
  err(
    `ERROR: EMQX Enterprise ${vsn} failed to start${exited !== null ? ` (exit ${String(exited)}); see ${log}` : ' within 30 seconds'}\n`,
  );
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
