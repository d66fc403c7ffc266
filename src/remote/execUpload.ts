// The client side of the staging conversation over one exec channel (script: stageScript.ts).
// Streams, not buffers: the local file is read in 256 KiB slices and at most QUEUE_MAX bytes wait
// in ssh2's channel buffer, so memory per node stays ~1.5 MiB whatever the file size.
//
// Every wait settles: a closed channel, a lost connection and an abort all reject the pending
// call (libraries.md §2.4: raw ssh2 never calls back on its own in those cases).
// Abort: EOF on stdin ends the script's cat early, so the .part is short and never renamed; if the
// script has not exited after a grace, its process group is killed over a second channel
// (libraries.md §1.7: closing the channel does not stop a remote command).
import { createReadStream } from 'node:fs';
import type { ClientChannel } from 'ssh2';
import { RolloutError, errorMessage } from '../util/errors.js';
import type { Connection } from './connect.js';
import { lost } from './sftp.js';

const READ_SLICE = 256 * 1024;
/** Bytes handed to ssh2 but not yet sent (its channel buffer holds up to 2 MiB otherwise). */
const QUEUE_MAX = 1024 * 1024;
const KEEP = 256 * 1024;
const DEFAULT_GRACE_MS = 3_000;

export interface ExecStageOptions {
  readonly signal?: AbortSignal;
  /** What the node is doing, for "lost while …" messages. */
  readonly doing: string;
  readonly graceMs?: number;
}

export interface ChannelEnd {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
}

export class StageChannel {
  private out = ''; // stdout not yet consumed by untilReady()
  private stdoutAll = '';
  private stderrAll = '';
  private exitCode: number | null = null;
  private pgid: string | undefined;
  private failure: Error | undefined;
  private isClosed = false;
  private closeWaiters: Array<() => void> = [];
  private wake: (() => void) | undefined;
  private stopping = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly offConn: () => void;

  private constructor(
    private readonly conn: Connection,
    private readonly ch: ClientChannel,
    private readonly opts: ExecStageOptions,
  ) {
    ch.setEncoding?.('utf8');
    ch.on('data', (d: Buffer | string) => {
      const s = d.toString();
      this.out += s;
      this.stdoutAll = (this.stdoutAll + s).slice(-KEEP); // the tail holds the outcome line
      if (!this.pgid) this.pgid = /^pgid (\d+)$/m.exec(this.stdoutAll)?.[1];
      this.poke();
    });
    ch.stderr.on('data', (d: Buffer | string) => {
      if (this.stderrAll.length < KEEP) this.stderrAll += d.toString();
    });
    ch.on('exit', (code: number | null) => {
      this.exitCode = code ?? null;
    });
    ch.on('error', (e: Error) => {
      if (!this.isClosed) this.fail(lost(conn, opts.doing, e));
    });
    ch.on('close', () => {
      this.isClosed = true;
      this.timers.forEach(clearTimeout);
      this.offConn();
      opts.signal?.removeEventListener('abort', this.onAbort);
      for (const w of this.closeWaiters.splice(0)) w();
      this.poke();
    });
    this.offConn = conn.onClose((err) => {
      this.fail(lost(conn, opts.doing, err ?? conn.closeError ?? new Error('connection closed')));
      // ssh2 closes the channel with the connection; if it does not, nothing more will come
      this.isClosed = true;
      for (const w of this.closeWaiters.splice(0)) w();
      this.poke();
    });
    if (opts.signal?.aborted) queueMicrotask(this.onAbort);
    else opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Open the exec channel running `command` (stageScript.stageCommand). */
  static open(conn: Connection, command: string, opts: ExecStageOptions): Promise<StageChannel> {
    return new Promise((resolve, reject) => {
      if (conn.closed) return reject(lost(conn, opts.doing, conn.closeError));
      const off = conn.onClose((err) => reject(lost(conn, opts.doing, err)));
      try {
        conn.client.exec(command, (err, ch) => {
          off();
          if (err) {
            return reject(
              new RolloutError(
                'remote',
                `${conn.node}: cannot run the staging command on ${conn.target}: ${err.message}`,
                {
                  cause: err,
                },
              ),
            );
          }
          resolve(new StageChannel(conn, ch, opts));
        });
      } catch (e) {
        off();
        reject(lost(conn, opts.doing, e));
      }
    });
  }

  private readonly onAbort = () => {
    this.fail(new RolloutError('interrupted', `${this.conn.node}: staging cancelled while ${this.opts.doing}`));
    this.shutdown();
  };

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.poke();
  }

  /** Until the channel closed (or the stop graces ran out). */
  private closed(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((r) => this.closeWaiters.push(r));
  }

  /** A failure is reported only once the channel is done, so the next attempt sees a quiet node. */
  private async failed(): Promise<never> {
    this.shutdown();
    await this.closed();
    throw this.failure!;
  }

  /** EOF now, then armKill(). */
  private shutdown(): void {
    if (this.isClosed) return;
    try {
      this.ch.end();
    } catch {
      /* channel already gone */
    }
    this.armKill();
  }

  /** After a grace kill the script's process group and close the channel; after two, stop waiting. */
  private armKill(): void {
    if (this.stopping || this.isClosed) return;
    this.stopping = true;
    const grace = this.opts.graceMs ?? DEFAULT_GRACE_MS;
    this.timers.push(
      setTimeout(() => {
        this.killGroup();
        try {
          this.ch.close();
        } catch {
          /* gone */
        }
      }, grace),
      setTimeout(() => {
        this.isClosed = true;
        for (const w of this.closeWaiters.splice(0)) w();
        this.poke();
      }, grace * 2),
    );
  }

  private killGroup(): void {
    if (!this.pgid || this.conn.closed) return;
    try {
      this.conn.client.exec(`kill -KILL -- -${this.pgid} 2>/dev/null; true`, (err, k) => {
        if (err) return;
        k.resume();
        k.stderr.resume();
      });
    } catch {
      /* connection gone */
    }
  }

  private unexpectedEnd(what: string): RolloutError {
    return new RolloutError('remote', `${this.conn.node}: the staging command ended while ${what}`, {
      details: this.evidence(),
      hint: 'the node needs a POSIX sh with mkdir, df, head, cat, dd, mv and sha256sum (or openssl)',
    });
  }

  /** Exit code and output tails, for error messages. */
  evidence(): string[] {
    const tail = (label: string, s: string) =>
      s.trim()
        ? [
            `${label}:`,
            ...s
              .trim()
              .split('\n')
              .slice(-15)
              .map((l) => `  | ${l}`),
          ]
        : [];
    return [
      `exit code: ${this.exitCode ?? 'none'}`,
      ...tail('stdout', this.stdoutAll),
      ...tail('stderr', this.stderrAll),
    ];
  }

  /** The script's output up to its next `ready` line (consumed). */
  async untilReady(): Promise<string> {
    for (;;) {
      const m = /^ready$/m.exec(this.out);
      if (m) {
        const text = this.out.slice(0, m.index);
        this.out = this.out.slice(m.index + m[0].length + 1);
        return text;
      }
      if (this.failure) return this.failed();
      if (this.isClosed) throw this.unexpectedEnd(this.opts.doing);
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** One line to the script. */
  say(line: string): void {
    this.ch.write(`${line}\n`);
  }

  /** Nothing to upload: tell the script to stop and wait (bounded) for it to exit. */
  async stop(): Promise<void> {
    try {
      this.ch.end('stop\n');
    } catch {
      /* gone already */
    }
    this.armKill();
    await this.closed();
  }

  /**
   * Send bytes [from, size) of localPath, then EOF, and wait for the script to finish. Returns its
   * output; throws on abort, a lost connection, or a local file that changed size.
   */
  async upload(localPath: string, from: number, size: number, onBytes: (sent: number) => void): Promise<ChannelEnd> {
    let sent = 0;
    let queued = 0;
    if (from < size) {
      const rs = createReadStream(localPath, { start: from, end: size - 1, highWaterMark: READ_SLICE });
      let readErr: Error | undefined;
      let ended = false;
      rs.on('error', (e) => {
        readErr = e;
        this.poke();
      });
      rs.on('end', () => {
        ended = true;
        this.poke();
      });
      rs.on('data', (chunk: Buffer | string) => {
        const b = chunk as Buffer;
        if (this.isClosed || this.failure) {
          rs.pause();
          return;
        }
        queued += b.length;
        if (queued >= QUEUE_MAX) rs.pause();
        this.ch.write(b, () => {
          queued -= b.length;
          sent += b.length;
          onBytes(sent);
          if (queued < QUEUE_MAX && rs.isPaused() && !this.failure) rs.resume();
          this.poke();
        });
      });
      try {
        while (!(ended && queued === 0)) {
          if (this.failure) return await this.failed();
          if (readErr) {
            this.fail(
              new RolloutError('bad-input', `cannot read ${localPath} while uploading: ${errorMessage(readErr)}`, {
                cause: readErr,
              }),
            );
            continue;
          }
          if (this.isClosed) throw this.unexpectedEnd(this.opts.doing);
          await new Promise<void>((r) => (this.wake = r));
        }
      } finally {
        rs.destroy();
      }
      if (sent !== size - from) {
        this.fail(
          new RolloutError('bad-input', `${localPath} changed while uploading (read ${from + sent} of ${size} bytes)`),
        );
        return this.failed();
      }
    }
    try {
      this.ch.end();
    } catch {
      /* closed: judged below */
    }
    // The script's `done …` line comes after the rename: the file is in place, so that line is the
    // answer. Not waiting for exit-status + close as well saves a round of small packets, which
    // sshd (Nagle on for exec sessions) can hold ~40 ms. `bad …` waits for the exit (the evidence).
    while (!this.isClosed && !this.failure && !/^done [0-9a-f]{64} \d+$/m.test(this.out))
      await new Promise<void>((r) => (this.wake = r));
    if (this.failure) return this.failed();
    return { stdout: this.stdoutAll, stderr: this.stderrAll, exitCode: this.exitCode };
  }
}
