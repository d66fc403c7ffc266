#!/usr/bin/env node
// The one exit boundary: build the IO edge, run the program, map its typed error to an exit code
// (cli/exitCodes.ts) and prose. Nothing else in the program calls process.exit.
import { setMaxListeners } from 'node:events';
import { homedir } from 'node:os';
import { RolloutError } from '../util/errors.js';
import { EXIT, type ExitCode } from './exitCodes.js';
import type { CliIO } from './io.js';
import { redactString } from '../rollout/state/journal.js';
import { buildProgram, describeError } from './program.js';

/**
 * Commands with a safe point to stop at (a node in flight is finished first). Every other command
 * only reads, so its first Ctrl-C aborts at once.
 */
const SAFE_STOP_COMMANDS = new Set(['upgrade', 'restart', 'recover-boot', 'cleanup', 'demo']);

function makeIO(command: string | undefined): { io: CliIO; dispose: () => void } {
  const hard = new AbortController();
  // Every in-flight remote command listens on this signal: 4 per node × 32 nodes observed at once is
  // legitimately more than the default 10. A real leak would still show past 1000.
  setMaxListeners(1000, hard.signal);
  let soft = false;
  const listeners = new Set<(notice: string) => void>();
  const notify = (notice: string) => {
    if (listeners.size === 0) process.stderr.write(`\n${notice}\n`);
    for (const l of listeners) l(notice);
  };
  // After a hard abort, whatever still runs (a `relup upgrade` we deliberately wait on, a hung
  // file system call) must not keep the process alive: exit 130 within 10 s. The journal already
  // holds `upgrade.begin`, so the next run re-observes that node instead of trusting a guess.
  const abort = (reason: string) => {
    if (hard.signal.aborted) return;
    hard.abort(new RolloutError('interrupted', reason));
    const t = setTimeout(() => {
      process.stderr.write(
        `\nemqx-rollout: did not stop within 10 s after "${reason}"; exiting now. Re-run the same command to resume: an interrupted node is re-observed, never upgraded blindly.\n`,
      );
      process.exit(EXIT.interrupted);
    }, 10_000);
    t.unref();
  };
  // First Ctrl-C: stop at the next safe point (never between a started `relup upgrade` and its
  // gates). Second: abort now. SIGTERM: abort now.
  const safeStop = command !== undefined && SAFE_STOP_COMMANDS.has(command);
  const onInt = () => {
    if (!safeStop) {
      abort('interrupted (Ctrl-C)');
      return;
    }
    if (!soft) {
      soft = true;
      notify(
        'Ctrl-C: will stop after the node in flight finishes its step and gates (Ctrl-C again to abort now; a hop in progress is then left for the next run to judge)',
      );
      return;
    }
    notify('second Ctrl-C: aborting now');
    abort('aborted by a second Ctrl-C');
  };
  const onTerm = () => abort('terminated (SIGTERM)');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  // A closed pipe (`emqx-rollout status | head`) is not an error of ours.
  for (const s of [process.stdout, process.stderr])
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
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
    onInterrupt: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  return {
    io,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
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
    if (d.text) process.stderr.write(redactString(d.text));
  } finally {
    dispose();
  }
  // Let stdout drain (NDJSON consumers), then exit with the one code.
  process.stdout.write('', () => process.exit(code));
}

void main();
