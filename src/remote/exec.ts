// Run one command on a node and make deadlines and aborts actually stop it.
//
// Why the wrapper: closing an exec channel does not stop a remote command (no pty), and OpenSSH
// ignores channel signals for root logins (libraries.md §1.7). So the remote shell first reports its
// PID on stderr — sshd setsid()s every session, so that PID is the process-group id — and on
// timeout/abort we run `kill -TERM -- -<pgid>` over a second channel, then KILL after a grace.
// stdin is /dev/null so we never need ch.end() (after EOF ssh2 1.17 silently drops ch.signal()).
import type { ClientChannel } from 'ssh2';
import type { ExecOptions, ExecResult } from './types.js';
import { RolloutError, errorMessage } from '../util/errors.js';
import type { Connection } from './connect.js';
import { shq } from '../util/shellQuote.js';

export interface ExecInternalOptions extends ExecOptions {
  /** TERM → KILL grace after a deadline/abort. */
  readonly graceMs?: number;
  readonly onStderr?: (chunk: string) => void;
}

const PGID_MARK = '__EMQX_ROLLOUT_PGID__=';
const DEFAULT_GRACE_MS = 3_000;
/** Output kept per stream; a runaway command must not eat the bastion's memory. */
const MAX_KEEP = 4 * 1024 * 1024;

export function wrapCommand(command: string, withStdin = false): string {
  return `echo "${PGID_MARK}$$" >&2; exec sh -c ${shq(command)}${withStdin ? '' : ' </dev/null'}`;
}

export function execOn(conn: Connection, command: string, opts: ExecInternalOptions = {}): Promise<ExecResult> {
  const started = Date.now();
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const dead = (cause: unknown, partial?: { stdout: string; stderr: string }) =>
    new RolloutError('remote', `${conn.node}: connection to ${conn.target} lost while running a command`, {
      details: [
        `command: ${command}`,
        `after ${Date.now() - started} ms`,
        `cause: ${errorMessage(cause)}`,
        ...(partial ? tailLines('stdout', partial.stdout, 10).concat(tailLines('stderr', partial.stderr, 10)) : []),
      ],
      cause,
    });
  if (conn.closed) return Promise.reject(dead(conn.closeError ?? new Error('connection already closed')));
  if (opts.signal?.aborted) {
    return Promise.resolve(
      result(conn.node, command, {
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
        durationMs: 0,
        timedOut: false,
        aborted: true,
      }),
    );
  }

  return new Promise<ExecResult>((resolve, reject) => {
    let ch: ClientChannel | undefined;
    let stdout = '';
    let stderr = '';
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let gotExit = false;
    let timedOut = false;
    let aborted = false;
    let pgid: string | undefined;
    let markerDone = false;
    let markerBuf = '';
    let stopping = false;
    let done = false;
    const timers: NodeJS.Timeout[] = [];

    const finish = (err?: RolloutError) => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      opts.signal?.removeEventListener('abort', onAbort);
      offClose();
      if (err) return reject(err);
      resolve(
        result(conn.node, command, {
          exitCode,
          signal: exitSignal,
          stdout,
          stderr,
          durationMs: Date.now() - started,
          timedOut,
          aborted,
        }),
      );
    };

    const killGroup = (sig: 'TERM' | 'KILL') => {
      if (!pgid || conn.closed) return;
      try {
        conn.client.exec(`kill -${sig} -- -${pgid} 2>/dev/null; true`, (err, k) => {
          if (err) return; // best effort: the grace timer and give-up timer still bound us
          k.resume();
          k.stderr.resume();
        });
      } catch {
        // The connection died under us; 'close' will settle the promise.
      }
    };
    const stop = () => {
      if (stopping) return;
      stopping = true;
      try {
        ch?.signal('TERM'); // honoured for non-root logins; harmless otherwise
      } catch {
        /* channel already gone */
      }
      killGroup('TERM');
      timers.push(
        setTimeout(() => {
          killGroup('KILL');
          ch?.close();
        }, graceMs),
      );
      // Never hang on a wedged channel: resolve with what we have after two graces.
      timers.push(setTimeout(() => finish(), graceMs * 2 + 500));
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    // A connection that dies mid-command: the outcome on the node is unknown, so this rejects
    // (unless we were already stopping it, then the evidence we have is the answer).
    const offClose = conn.onClose((err) => {
      if (stopping) return finish();
      finish(dead(err ?? new Error('connection closed'), { stdout, stderr }));
    });

    if (opts.timeoutMs !== undefined) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs),
      );
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    try {
      conn.client.exec(wrapCommand(command, opts.stdin !== undefined), (err, channel) => {
        if (done) {
          channel?.close();
          return;
        }
        if (err) return finish(dead(err));
        ch = channel;
        if (opts.stdin !== undefined) channel.end(opts.stdin); // then EOF: the command never waits for more
        channel.setEncoding('utf8');
        channel.stderr.setEncoding('utf8');
        channel.on('data', (d: string) => {
          if (stdout.length < MAX_KEEP) stdout += d;
          opts.onStdout?.(d);
        });
        channel.stderr.on('data', (d: string) => {
          if (!markerDone) {
            markerBuf += d;
            const nl = markerBuf.indexOf('\n');
            if (nl < 0) return;
            const first = markerBuf.slice(0, nl);
            const m = first.match(/__EMQX_ROLLOUT_PGID__=(\d+)/);
            markerDone = true;
            if (m) {
              pgid = m[1];
              d = markerBuf.slice(nl + 1);
            } else {
              d = markerBuf; // not our marker (a server that does not run a POSIX shell): keep it all
            }
            if (stopping) killGroup('TERM'); // the deadline fired before we knew the pgid
            if (!d) return;
          }
          if (stderr.length < MAX_KEEP) stderr += d;
          opts.onStderr?.(d);
        });
        channel.on('exit', (code: number | null, sig?: string) => {
          gotExit = true;
          exitCode = code ?? null;
          exitSignal = sig ? (sig.startsWith('SIG') ? sig : `SIG${sig}`) : null;
        });
        channel.on('close', () => {
          if (gotExit || stopping) return finish();
          // No exit status: either the connection is going down (ssh2 may close the channel just
          // before the client's 'close') — then it is a dead connection — or the server sent none,
          // then exitCode stays null. 50 ms is ample for the client 'close' to follow.
          setTimeout(
            () =>
              conn.closed
                ? finish(dead(conn.closeError ?? new Error('connection closed'), { stdout, stderr }))
                : finish(),
            50,
          );
        });
      });
    } catch (e) {
      finish(dead(e));
    }
  });
}

function result(node: string, command: string, r: Omit<ExecResult, 'node' | 'command'>): ExecResult {
  return { node, command, ...r };
}

function tailLines(label: string, text: string, n: number): string[] {
  const lines = text.replace(/\n+$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return [];
  const tail = lines.slice(-n);
  const more = lines.length > n ? ` (last ${n} of ${lines.length} lines)` : '';
  return [`${label}${more}:`, ...tail.map((l) => `  | ${l}`)];
}

/** Evidence lines for an error message: command, outcome, duration, output tails. */
export function describeResult(r: ExecResult, tail = 20): string[] {
  const outcome = r.timedOut
    ? `timed out after ${r.durationMs} ms (killed${r.signal ? ` by ${r.signal}` : ''})`
    : r.aborted
      ? `aborted after ${r.durationMs} ms${r.signal ? ` (${r.signal})` : ''}`
      : r.exitCode !== null
        ? `exit code ${r.exitCode}`
        : r.signal
          ? `killed by ${r.signal}`
          : 'no exit status';
  return [
    `node: ${r.node}`,
    `command: ${r.command}`,
    `result: ${outcome}`,
    `duration: ${r.durationMs} ms`,
    ...tailLines('stdout', r.stdout, tail),
    ...tailLines('stderr', r.stderr, tail),
  ];
}
