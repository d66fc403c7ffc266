// `exec` requests: run `/bin/sh -c <command>` as the current user, like sshd does for a non-pty
// session. Each command gets its own process group (detached → setsid) so a signal reaches the
// whole pipeline, not just the shell.
//
// Deliberate difference from OpenSSH: when the client closes the channel or the connection while
// the command still runs, we SIGKILL its process group. A real sshd keeps such a process running
// (libraries.md §1.7: `ch.close()` leaves `sleep 5` alive for 5089 ms); in tests that would leak
// processes. Processes that finished their stdio (e.g. `nohup x >/dev/null 2>&1 &`) are left alone,
// as sshd would, because the simulator may start daemons that way.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerChannel } from 'ssh2';

/** Signals a client may send with a `signal` channel request (RFC 4254 §6.9 names, no SIG prefix). */
const FORWARDED_SIGNALS: ReadonlySet<string> = new Set(['TERM', 'KILL', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2']);

export interface RunningExec {
  readonly pid: number | undefined;
  readonly command: string;
  /** Resolves once the command exited and its stdout/stderr closed (or spawning failed). */
  readonly done: Promise<void>;
  /** Signal the whole process group; false when the group is already gone. */
  killGroup(signal: NodeJS.Signals): boolean;
  isDone(): boolean;
  /** Whether any process of the group still runs (zombies do not count). */
  groupAlive(): boolean;
}

export interface ExecContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export function runExec(ch: ServerChannel, command: string, ctx: ExecContext): RunningExec {
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const child: ChildProcess = spawn('/bin/sh', ['-c', command], {
    cwd: ctx.cwd,
    env: ctx.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  // Signal 0 only probes whether the group exists.
  const killGroup = (signal: NodeJS.Signals): boolean => {
    if (child.pid === undefined) return false;
    try {
      process.kill(-child.pid, signal);
      return true;
    } catch {
      // ESRCH: the group is already empty.
      return false;
    }
  };

  const finish = (): void => {
    if (finished) return;
    finished = true;
    resolveDone();
  };

  // The command may exit without reading its stdin; EPIPE on the pipe is expected, not fatal.
  child.stdin?.on('error', () => {});
  ch.pipe(child.stdin!);
  child.stdout?.pipe(ch, { end: false });
  child.stderr?.pipe(ch.stderr, { end: false });

  child.on('error', (err: NodeJS.ErrnoException) => {
    // Spawn failed (e.g. cwd missing): report it the way a shell would, exit 127.
    if (finished) return;
    try {
      ch.stderr.write(`sim sshd: cannot run command: ${err.code ?? ''} ${err.message}\n`);
      ch.exit(127);
      ch.end();
    } catch {
      /* channel already gone */
    }
    finish();
  });

  // 'close' (not 'exit'): like sshd, wait until the command's stdout/stderr are closed, so output
  // written by still-running background children is delivered before exit-status.
  child.on('close', (code, signal) => {
    if (finished) return;
    try {
      if (signal) ch.exit(signal.replace(/^SIG/, ''), false, '');
      else ch.exit(code ?? 0);
      ch.end();
    } catch {
      /* channel already gone */
    }
    finish();
  });

  ch.on('close', () => {
    if (!finished) killGroup('SIGKILL');
  });

  return {
    get pid() {
      return child.pid;
    },
    command,
    done,
    killGroup,
    isDone: () => finished,
    groupAlive: () => child.pid !== undefined && liveGroupMembers(child.pid).length > 0,
  };
}

/** Handle a `signal` channel request for a running exec. Returns whether it was honoured. */
export function forwardSignal(run: RunningExec | undefined, name: string): boolean {
  if (run === undefined || run.isDone() || !FORWARDED_SIGNALS.has(name)) return false;
  return run.killGroup(`SIG${name}` as NodeJS.Signals);
}

/**
 * PIDs of the non-zombie processes in process group `pgid`, from /proc. kill(-pgid, 0) is not
 * enough: it also counts zombies, and an orphaned background child stays a zombie until init
 * reaps it — on this project's VMs init reaps only every ~2 s (measured 1915–1968 ms).
 */
export function liveGroupMembers(pgid: number): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    // No /proc: fall back to the coarse probe.
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp …"; comm may contain spaces and parens, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') members.push(Number(pid));
  }
  return members;
}
