// The SFTP subsystem: ssh2's server only speaks the protocol (libraries.md §4.5); this file maps
// each SFTPv3 request onto the real filesystem. Absolute paths are used as given, relative ones
// are resolved against the session's cwd (what OpenSSH's sftp-server does with the home dir).
import ssh2 from 'ssh2';
import type { Attributes, SFTPWrapper } from 'ssh2';
import { constants as C, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { attrsOf, longname } from './sftpAttrs.js';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

// OpenSSH's sftp-server caps a READ at 256 KiB minus overhead; so do we, so a client cannot make
// us allocate a 4 GiB buffer.
const MAX_READ = 255 * 1024;
// Entries per READDIR reply; OpenSSH sends 100 too.
const READDIR_BATCH = 100;

type Handle =
  | { readonly kind: 'file'; readonly path: string; readonly fh: FileHandle }
  | { readonly kind: 'dir'; readonly path: string; names: string[] | null };

export interface SftpOptions {
  readonly cwd: string;
  /**
   * Called with the size of every WRITE before it is performed. Returning false drops the write
   * without a reply (fault injection: the server is about to tear the connection down).
   */
  readonly beforeWrite: (bytes: number) => boolean;
}

export interface SftpSession {
  /** Close every open file; waits for in-flight reads/writes (FileHandle.close does). */
  closeAll(): Promise<void>;
}

export function statusFor(e: unknown): { code: number; message: string } {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return { code: STATUS_CODE.NO_SUCH_FILE, message: 'No such file' };
    case 'EACCES':
    case 'EPERM':
      return { code: STATUS_CODE.PERMISSION_DENIED, message: 'Permission denied' };
    default:
      return { code: STATUS_CODE.FAILURE, message: err?.message ?? String(e) };
  }
}

/** SFTP pflags → open(2) flags. Any combination works, unlike ssh2's flagsToString table. */
export function openFlags(pflags: number): number {
  const read = (pflags & OPEN_MODE.READ) !== 0;
  const write = (pflags & OPEN_MODE.WRITE) !== 0;
  let f = read && write ? C.O_RDWR : write ? C.O_WRONLY : C.O_RDONLY;
  if (pflags & OPEN_MODE.APPEND) f |= C.O_APPEND;
  if (pflags & OPEN_MODE.CREAT) f |= C.O_CREAT;
  if (pflags & OPEN_MODE.TRUNC) f |= C.O_TRUNC;
  if (pflags & OPEN_MODE.EXCL) f |= C.O_EXCL;
  return f;
}

/** Parse the two SSH strings (old, new) of a posix-rename@openssh.com request. */
export function parseTwoStrings(data: Buffer | undefined): [string, string] | null {
  if (!data || data.length < 8) return null;
  const l1 = data.readUInt32BE(0);
  if (4 + l1 + 4 > data.length) return null;
  const a = data.subarray(4, 4 + l1).toString('utf8');
  const l2 = data.readUInt32BE(4 + l1);
  if (8 + l1 + l2 > data.length) return null;
  const b = data.subarray(8 + l1, 8 + l1 + l2).toString('utf8');
  return [a, b];
}

export function serveSftp(sftp: SFTPWrapper, opts: SftpOptions): SftpSession {
  const resolve = (p: string): string => path.resolve(opts.cwd, p === '' ? '.' : p);
  const handles = new Map<number, Handle>();
  let nextHandle = 0;

  // Replies may race a dying channel; a reply to a closed channel is simply lost.
  const safe = (fn: () => void): void => {
    try {
      fn();
    } catch {
      /* channel gone */
    }
  };
  const ok = (id: number): void => safe(() => sftp.status(id, STATUS_CODE.OK));
  const fail = (id: number, e: unknown): void => {
    const s = statusFor(e);
    safe(() => sftp.status(id, s.code, s.message));
  };
  const invalid = (): Error => Object.assign(new Error('Invalid handle'), { code: 'EBADF' });

  // Requests are served strictly one after another, like OpenSSH's sftp-server, so replies go
  // out in request order. The OpenSSH client depends on it: with out-of-order WRITE acks `scp -s`
  // "lost contiguity" and ftruncate()d the upload at the last contiguous ack (3 MB file cut to
  // 98304 bytes, exit 0), and downloads were cut the same way.
  let queue: Promise<void> = Promise.resolve();
  /** Serve one request: `op` returns the reply to send; a throw becomes a mapped STATUS. */
  const serve = (id: number, op: () => Promise<(() => void) | void>): void => {
    queue = queue.then(async () => {
      try {
        const reply = await op();
        if (reply) safe(reply);
        else ok(id);
      } catch (e) {
        fail(id, e);
      }
    });
  };

  const addHandle = (h: Handle): Buffer => {
    const n = nextHandle++;
    handles.set(n, h);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  const getHandle = (b: Buffer): Handle | undefined => (b.length === 4 ? handles.get(b.readUInt32BE(0)) : undefined);
  const fileHandle = (b: Buffer): FileHandle => {
    const h = getHandle(b);
    if (h?.kind !== 'file') throw invalid();
    return h.fh;
  };
  const dirHandle = (b: Buffer): Extract<Handle, { kind: 'dir' }> => {
    const h = getHandle(b);
    if (h?.kind !== 'dir') throw invalid();
    return h;
  };

  const applyAttrs = async (
    a: Partial<Attributes>,
    ops: {
      truncate(n: number): Promise<void>;
      chown(u: number, g: number): Promise<void>;
      chmod(m: number): Promise<void>;
      utimes(at: number, mt: number): Promise<void>;
    },
  ): Promise<void> => {
    if (typeof a.size === 'number') await ops.truncate(a.size);
    if (typeof a.uid === 'number' && typeof a.gid === 'number') await ops.chown(a.uid, a.gid);
    if (typeof a.mode === 'number') await ops.chmod(a.mode & 0o7777);
    if (typeof a.atime === 'number' && typeof a.mtime === 'number') await ops.utimes(a.atime, a.mtime);
  };
  const nameReply = (id: number, name: string) => () =>
    sftp.name(id, [{ filename: name, longname: name, attrs: {} as Attributes }]);

  sftp.on('OPEN', (id, filename, pflags, attrs) =>
    serve(id, async () => {
      const p = resolve(filename);
      const mode = typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o666;
      const fh = await fsp.open(p, openFlags(pflags), mode);
      const hb = addHandle({ kind: 'file', path: p, fh });
      return () => sftp.handle(id, hb);
    }),
  );

  sftp.on('READ', (id, hb, offset, len) =>
    serve(id, async () => {
      const fh = fileHandle(hb);
      const buf = Buffer.allocUnsafe(Math.min(len, MAX_READ));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      return bytesRead === 0 ? () => sftp.status(id, STATUS_CODE.EOF) : () => sftp.data(id, buf.subarray(0, bytesRead));
    }),
  );

  sftp.on('WRITE', (id, hb, offset, data) => {
    // Counted on arrival, so a drop happens at the same byte count however the queue is doing.
    if (!opts.beforeWrite(data.length)) return;
    serve(id, async () => {
      // Positional: fastPut sends up to 64 chunks at once, at increasing offsets but we must
      // not assume it, and a retry may rewrite any range.
      await fileHandle(hb).write(data, 0, data.length, offset);
    });
  });

  sftp.on('CLOSE', (id, hb) =>
    serve(id, async () => {
      const h = getHandle(hb);
      if (!h) throw invalid();
      handles.delete(hb.readUInt32BE(0));
      if (h.kind === 'file') await h.fh.close();
    }),
  );

  sftp.on('FSTAT', (id, hb) =>
    serve(id, async () => {
      const st = await fileHandle(hb).stat();
      return () => sftp.attrs(id, attrsOf(st));
    }),
  );

  sftp.on('FSETSTAT', (id, hb, a) =>
    serve(id, async () => {
      const fh = fileHandle(hb);
      await applyAttrs(a, {
        truncate: (n) => fh.truncate(n),
        chown: (u, g) => fh.chown(u, g),
        chmod: (m) => fh.chmod(m),
        utimes: (at, mt) => fh.utimes(at, mt),
      });
    }),
  );

  sftp.on('SETSTAT', (id, p, a) =>
    serve(id, async () => {
      const abs = resolve(p);
      await applyAttrs(a, {
        truncate: (n) => fsp.truncate(abs, n),
        chown: (u, g) => fsp.chown(abs, u, g),
        chmod: (m) => fsp.chmod(abs, m),
        utimes: (at, mt) => fsp.utimes(abs, at, mt),
      });
    }),
  );

  const statWith = (fn: (p: string) => Promise<Stats>) => (id: number, p: string) =>
    serve(id, async () => {
      const st = await fn(resolve(p));
      return () => sftp.attrs(id, attrsOf(st));
    });
  sftp.on('STAT', statWith(fsp.stat));
  sftp.on('LSTAT', statWith(fsp.lstat));

  sftp.on('OPENDIR', (id, p) =>
    serve(id, async () => {
      const abs = resolve(p);
      const st = await fsp.stat(abs);
      if (!st.isDirectory()) throw Object.assign(new Error(`Not a directory: ${abs}`), { code: 'ENOTDIR' });
      const hb = addHandle({ kind: 'dir', path: abs, names: null });
      return () => sftp.handle(id, hb);
    }),
  );

  sftp.on('READDIR', (id, hb) =>
    serve(id, async () => {
      const h = dirHandle(hb);
      // Read the names on the first READDIR; OpenSSH lists '.' and '..' too.
      if (h.names === null) h.names = ['.', '..', ...(await fsp.readdir(h.path))];
      const now = Date.now();
      const entries: { filename: string; longname: string; attrs: Attributes }[] = [];
      while (h.names.length > 0 && entries.length < READDIR_BATCH) {
        const name = h.names.shift()!;
        try {
          const st = await fsp.lstat(path.join(h.path, name));
          entries.push({ filename: name, longname: longname(name, st, now), attrs: attrsOf(st) });
        } catch {
          // Removed since readdir: skip it, as readdir(3) would not have returned it.
        }
      }
      return entries.length === 0 ? () => sftp.status(id, STATUS_CODE.EOF) : () => sftp.name(id, entries);
    }),
  );

  sftp.on('REALPATH', (id, p) =>
    serve(id, async () => {
      const abs = resolve(p);
      // Canonical when it exists; otherwise the lexically normalised path (clients realpath a
      // target before creating it).
      const real = await fsp.realpath(abs).catch(() => abs);
      return nameReply(id, real);
    }),
  );

  sftp.on('MKDIR', (id, p, a) =>
    serve(id, async () => {
      const mode = typeof a?.mode === 'number' ? a.mode & 0o7777 : 0o777;
      await fsp.mkdir(resolve(p), { mode });
    }),
  );
  sftp.on('RMDIR', (id, p) => serve(id, () => fsp.rmdir(resolve(p))));
  sftp.on('REMOVE', (id, p) => serve(id, () => fsp.unlink(resolve(p))));

  // SFTPv3 RENAME fails when the target exists (OpenSSH: link()+unlink()), unlike rename(2).
  sftp.on('RENAME', (id, from, to) =>
    serve(id, async () => {
      const dst = resolve(to);
      const exists = await fsp.lstat(dst).then(
        () => true,
        () => false,
      );
      if (exists) throw Object.assign(new Error(`rename target exists: ${dst}`), { code: 'EEXIST' });
      await fsp.rename(resolve(from), dst);
    }),
  );

  sftp.on('READLINK', (id, p) => serve(id, async () => nameReply(id, await fsp.readlink(resolve(p)))));

  // ssh2 normalises OpenSSH's swapped argument order; at runtime the listener gets (link, target)
  // whatever @types/ssh2 calls them.
  sftp.on('SYMLINK', (id, linkPath, targetPath) => serve(id, () => fsp.symlink(targetPath, resolve(linkPath))));

  // ssh2's server advertises no extensions (its VERSION packet is hard-coded), so well-behaved
  // clients never send this; we still honour it for clients that send it regardless.
  sftp.on('EXTENDED', (id, name, data) =>
    serve(id, async () => {
      if (name !== 'posix-rename@openssh.com') {
        return () => sftp.status(id, STATUS_CODE.OP_UNSUPPORTED, `unsupported extension ${name}`);
      }
      const pair = parseTwoStrings(data);
      if (!pair) return () => sftp.status(id, STATUS_CODE.BAD_MESSAGE, 'malformed posix-rename');
      await fsp.rename(resolve(pair[0]), resolve(pair[1]));
    }),
  );

  let closing: Promise<void> | null = null;
  const closeAll = (): Promise<void> => {
    // After the queue: an in-flight request must not find its file closed under it.
    closing ??= queue
      .then(() =>
        Promise.all(
          [...handles.values()].map((h) => (h.kind === 'file' ? h.fh.close().catch(() => {}) : Promise.resolve())),
        ),
      )
      .then(() => {
        handles.clear();
      });
    return closing;
  };
  sftp.on('close', () => void closeAll());
  // Client EOF: sftp-server would exit here and sshd close the channel. ssh2 does not, and the
  // OpenSSH client then waits forever for the close (observed: `sftp -b` hung until killed).
  // sshd also sends exit-status 0 for the finished subsystem; without it the OpenSSH client exits
  // non-zero and `scp -s` reports failure (rc 1) after a complete transfer. SFTPWrapper has no
  // exit(), so use the channel's protocol object, guarded in case ssh2's internals change.
  sftp.on(
    'end',
    () =>
      void closeAll().then(() =>
        safe(() => {
          const internal = sftp as unknown as {
            _protocol?: { exitStatus?: (chan: number, code: number) => void };
            outgoing?: { id: number; state: string };
          };
          if (internal.outgoing?.state === 'open' && typeof internal._protocol?.exitStatus === 'function') {
            internal._protocol.exitStatus(internal.outgoing.id, 0);
          }
          sftp.end();
        }),
      ),
  );
  return { closeAll };
}
