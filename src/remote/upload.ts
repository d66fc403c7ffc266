// Pipelined SFTP writer that can start at an offset (resume). fastPut cannot resume and never
// calls back when the connection dies (libraries.md §2.4), so we keep up to 64 WRITE requests of
// 32 KiB in flight ourselves: 2 MiB outstanding hides the round trip (same window as fastPut's
// concurrency 64 × chunkSize 32768).
import type { Hash } from 'node:crypto';
import { open as openLocal } from 'node:fs/promises';
import { RolloutError } from '../util/errors.js';
import type { Connection } from './connect.js';
import { lost, sftpCall, type SftpSession } from './sftp.js';

export interface UploadParams {
  readonly session: SftpSession;
  readonly conn: Connection;
  readonly localPath: string;
  readonly remotePath: string;
  /** Bytes already on the node (verified prefix); writing starts here. 0 → truncate and start over. */
  readonly fromOffset: number;
  readonly size: number;
  /** Fed with every byte read from `fromOffset` on, when given. */
  readonly hash?: Hash;
  readonly signal?: AbortSignal;
  /** Called after each acknowledged write with the bytes sent so far in this call. */
  readonly onBytes?: (sent: number) => void;
  readonly chunkSize?: number;
  readonly maxOutstanding?: number;
  /** Called once the remote file is open (after truncation, for a fresh upload). */
  readonly onOpened?: () => void;
}

const READ_BLOCK = 1024 * 1024;

export async function uploadFrom(p: UploadParams): Promise<number> {
  const chunkSize = Math.min(p.chunkSize ?? 32 * 1024, p.session.maxWriteLen);
  const maxOutstanding = p.maxOutstanding ?? 64;
  const { session, conn } = p;
  const doing = `uploading ${p.remotePath}`;
  const handle = await sftpCall<Buffer>(session, conn, `opening ${p.remotePath}`, (cb) =>
    session.sftp.open(p.remotePath, p.fromOffset > 0 ? 'r+' : 'w', { mode: 0o644 }, cb),
  );
  p.onOpened?.();
  const local = await openLocal(p.localPath, 'r');
  let sent = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let outstanding = 0;
      let failed: Error | undefined;
      let readingDone = false;
      let wake: (() => void) | undefined;
      const fail = (e: Error) => {
        if (failed) return;
        failed = e;
        cleanup();
        reject(e);
      };
      const offClose = session.onClose(() =>
        fail(lost(conn, doing, conn.closeError ?? new Error('SFTP channel closed'))),
      );
      const onAbort = () => {
        fail(
          new RolloutError('interrupted', `${conn.node}: upload of ${p.remotePath} cancelled`, {
            cause: p.signal?.reason,
          }),
        );
        // Outstanding WRITEs cannot be recalled; ending the channel is the only way to stop them
        // (mscdex/ssh2#988). The .part stays on the node for the next resume.
        session.end();
      };
      function cleanup() {
        offClose();
        p.signal?.removeEventListener('abort', onAbort);
        wake?.();
      }
      if (p.signal?.aborted) return onAbort();
      p.signal?.addEventListener('abort', onAbort, { once: true });

      const maybeDone = () => {
        if (!failed && readingDone && outstanding === 0) {
          cleanup();
          resolve();
        }
      };
      const write = (buf: Buffer, position: number) => {
        outstanding++;
        session.sftp.write(handle, buf, 0, buf.length, position, (err) => {
          outstanding--;
          if (failed) return;
          if (err)
            return fail(
              new RolloutError(
                'remote',
                `${conn.node}: SFTP write to ${p.remotePath} failed at offset ${position}: ${err.message}`,
                { cause: err },
              ),
            );
          sent += buf.length;
          p.onBytes?.(sent);
          const w = wake;
          wake = undefined;
          w?.();
          maybeDone();
        });
      };
      const pump = async () => {
        let pos = p.fromOffset;
        while (pos < p.size && !failed) {
          const want = Math.min(READ_BLOCK, p.size - pos);
          const block = Buffer.allocUnsafe(want);
          const { bytesRead } = await local.read(block, 0, want, pos);
          if (bytesRead !== want)
            throw new RolloutError(
              'bad-input',
              `${p.localPath} changed while uploading (short read at ${pos + bytesRead} of ${p.size} bytes)`,
            );
          p.hash?.update(block);
          for (let off = 0; off < want && !failed; off += chunkSize) {
            while (outstanding >= maxOutstanding && !failed) await new Promise<void>((r) => (wake = r));
            if (failed) break;
            write(block.subarray(off, Math.min(off + chunkSize, want)), pos + off);
          }
          pos += want;
        }
        readingDone = true;
        maybeDone();
      };
      pump().catch((e: Error) => fail(e));
    });
  } catch (e) {
    if (!session.closed) session.sftp.close(handle, () => {}); // best effort; the error is what matters
    throw e;
  } finally {
    await local.close();
  }
  await sftpCall<void>(session, conn, `closing ${p.remotePath}`, (cb) => session.sftp.close(handle, cb));
  return sent;
}
