#!/usr/bin/env node
// The one exit boundary: build the IO edge, run the program, map its typed error to an exit code
// (cli/exitCodes.ts) and prose. Nothing else in the program calls process.exit.
import { setMaxListeners } from 'node:events';
import { homedir } from 'node:os';
import { RolloutError } from '../util/errors.js';
import { EXIT, type ExitCode } from './exitCodes.js';
import type { CliIO } from './io.js';
import { buildProgram, describeError } from './program.js';

/**
 * Commands with a safe point to stop at (a node in flight is finished first). Every other command
 * only reads, so its first Ctrl-C aborts at once.
 */
const SAFE_STOP_COMMANDS = new Set(['upgrade', 'restart', 'recover-boot', 'cleanup', 'demo']);

function makeIO(command: string | undefined): { io: CliIO; dispose: () => void } {
  const hard = new AbortController();
  // Every in-flight remote command listens on this signal: 4 per node × 8 nodes observed at once is
  // legitimately more than the default 10. A real leak would still show past 1000.
  setMaxListeners(1000, hard.signal);
  let soft = false;
  // First Ctrl-C: stop at the next safe point (never between a started `relup upgrade` and its
  // gates). Second: abort now. SIGTERM: abort now.
  const safeStop = command !== undefined && SAFE_STOP_COMMANDS.has(command);
  const onInt = () => {
    if (!safeStop) {
      hard.abort(new RolloutError('interrupted', 'interrupted (Ctrl-C)'));
      return;
    }
    if (!soft) {
      soft = true;
      process.stderr.write('\nCtrl-C: stopping at the next safe point (press Ctrl-C again to abort now)\n');
      return;
    }
    hard.abort(new RolloutError('interrupted', 'aborted by a second Ctrl-C'));
  };
  const onTerm = () => hard.abort(new RolloutError('interrupted', 'terminated (SIGTERM)'));
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  // A closed pipe (`emqx-rollout status | head`) is not an error of ours.
  for (const s of [process.stdout, process.stderr]) s.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE') throw e; });
  const io: CliIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
    stdoutTTY: process.stdout.isTTY === true,
    stdinTTY: process.stdin.isTTY === true,
    now: () => new Date(),
    signal: hard.signal,
    stopRequested: () => soft || hard.signal.aborted,
  };
  return { io, dispose: () => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); } };
}

async function main(): Promise<void> {
  const { io, dispose } = makeIO(process.argv.slice(2).find((a) => !a.startsWith('-')));
  const argv = process.argv.slice(2);
  let code: ExitCode = EXIT.ok;
  try {
    await buildProgram(io, argv).parseAsync(process.argv);
  } catch (e) {
    const d = describeError(e);
    code = d.code;
    if (d.text) process.stderr.write(d.text);
  } finally {
    dispose();
  }
  // Let stdout drain (NDJSON consumers), then exit with the one code.
  process.stdout.write('', () => process.exit(code));
}

void main();
