// SFTP on the node's existing SSH connection (one subsystem channel, opened lazily and reused),
// with promise wrappers that settle even when the channel or connection dies under them:
// raw ssh2 may never call back in that case (libraries.md §2.4).
import type { SFTPWrapper } from 'ssh2';
import { RolloutError, errorMessage } from '../util/errors.js';
import type { Connection } from './connect.js';

export interface SftpSession {
  readonly sftp: SFTPWrapper;
  /** The connection this channel runs on. */
  readonly conn: Connection;
  /** True once this channel closed; the host opens a new one on next use. */
  readonly closed: boolean;
  /** The server advertised `posix-rename@openssh.com` (OpenSSH does; a bare ssh2 server does not). */
  readonly posixRename: boolean;
  /**
   * Largest WRITE payload ssh2 sends unsplit. Bigger writes are split into two requests sent one
   * after the other, so a connection dropped mid-upload can leave holes in the file (measured
   * against the in-process server: 816-byte gaps) — which defeats resuming from the file size.
   */
  readonly maxWriteLen: number;
  onClose(fn: () => void): () => void;
  end(): void;
}

export function openSftp(conn: Connection): Promise<SftpSession> {
  return new Promise((resolve, reject) => {
    if (conn.closed) return reject(lost(conn, 'opening SFTP', conn.closeError));
    const off = conn.onClose((err) => reject(lost(conn, 'opening SFTP', err)));
    conn.client.sftp((err, sftp) => {
      off();
      if (err) {
        return reject(
          new RolloutError('remote', `${conn.node}: cannot open SFTP on ${conn.target}: ${err.message}`, {
            hint: "the node's sshd needs an sftp Subsystem (OpenSSH: Subsystem sftp internal-sftp)",
            cause: err,
          }),
        );
      }
      let closed = false;
      const listeners = new Set<() => void>();
      const onClosed = () => {
        if (closed) return;
        closed = true;
        for (const fn of [...listeners]) fn();
        listeners.clear();
      };
      sftp.on('close', onClosed);
      sftp.on('error', onClosed); // keep a listener: an unhandled 'error' would crash the process
      conn.onClose(onClosed);
      // ssh2 keeps the VERSION packet's extensions here; there is no public accessor.
      const internals = sftp as unknown as { _extensions?: Record<string, string>; _maxWriteLen?: number };
      const ext = internals._extensions ?? {};
      resolve({
        sftp,
        conn,
        get closed() {
          return closed;
        },
        posixRename: ext['posix-rename@openssh.com'] === '1',
        // 34000 − 2048: what ssh2 1.17 uses for servers that are not OpenSSH (lib/protocol/SFTP.js).
        maxWriteLen: internals._maxWriteLen ?? 31_952,
        onClose(fn) {
          if (closed) {
            queueMicrotask(fn);
            return () => {};
          }
          listeners.add(fn);
          return () => listeners.delete(fn);
        },
        end() {
          if (!closed) sftp.end();
        },
      });
    });
  });
}

export function lost(conn: Connection, doing: string, cause: unknown): RolloutError {
  return new RolloutError('remote', `${conn.node}: connection to ${conn.target} lost while ${doing}`, {
    details: cause ? [`cause: ${errorMessage(cause)}`] : [],
    cause,
  });
}

/** Run one SFTP request; reject if the channel closes first. */
export function sftpCall<T>(
  s: SftpSession,
  conn: Connection,
  doing: string,
  fn: (cb: (err: Error | null | undefined, v?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const off = s.onClose(() => settle(lost(conn, doing, conn.closeError ?? new Error('SFTP channel closed'))));
    function settle(err: Error | null | undefined, v?: T) {
      if (done) return;
      done = true;
      off();
      if (err)
        reject(
          err instanceof RolloutError
            ? err
            : new RolloutError('remote', `${conn.node}: SFTP failed while ${doing}: ${err.message}`, { cause: err }),
        );
      else resolve(v as T);
    }
    try {
      fn(settle);
    } catch (e) {
      settle(e as Error);
    }
  });
}
