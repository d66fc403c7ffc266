// The simulator's in-process SSH server, checked with the real OpenSSH clients (ssh, sftp) and
// with ssh2's Client — the two kinds of client that will talk to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshServer, type SimSshServer } from '../../src/sim/sshServer.js';
import { BadInputError } from '../../src/util/errors.js';

const HOST = '127.0.0.23';
const USER = os.userInfo().username;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (input !== undefined) p.stdin!.end(input);
  });
}

const keygen = (file: string, type: 'ed25519' | 'rsa'): Promise<void> =>
  new Promise((resolve, reject) =>
    execFile(
      'ssh-keygen',
      ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', 'test', '-f', file],
      (e) => (e ? reject(e) : resolve()),
    ),
  );

/**
 * Whether process group `pgid` still has a running (non-zombie) member, by `ps`. Orphans become
 * zombies until init reaps them, which on these VMs takes up to ~2 s; a zombie holds no resources.
 */
function alive(negPgid: number): boolean {
  const pgid = -negPgid;
  const out = execFileSync('ps', ['-e', '-o', 'pgid=,stat='], { encoding: 'utf8' });
  return out.split('\n').some((l) => {
    const [g, st] = l.trim().split(/\s+/);
    return Number(g) === pgid && st !== undefined && !st.startsWith('Z');
  });
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

let dir: string;
let srv: SimSshServer;
const key = (name: string): string => path.join(dir, name);

function sshArgs(s: SimSshServer, idFile: string, command: string): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    idFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${key('known_hosts')}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=5',
    '-p',
    String(s.port),
    `${USER}@${s.host}`,
    command,
  ];
}

function connect(s: SimSshServer, idFile = key('id_ed25519')): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on('error', reject);
    c.on('ready', () => resolve(c));
    c.connect({
      host: s.host,
      port: s.port,
      username: USER,
      privateKey: fs.readFileSync(idFile),
      readyTimeout: 5_000,
      hostVerifier: (k: Buffer) => `ssh-ed25519 ${k.toString('base64')}` === s.hostPublicKey,
    });
  });
}

interface ExecOut extends Run {
  ch: ClientChannel;
}
function exec(c: Client, command: string, onChannel?: (ch: ClientChannel) => void): Promise<Omit<ExecOut, 'ch'>> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, ch) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let signal: NodeJS.Signals | null = null;
      ch.on('data', (d: Buffer) => (stdout += d));
      ch.stderr.on('data', (d: Buffer) => (stderr += d));
      ch.on('exit', (c2: number | null, sig?: string) => {
        code = c2;
        // ssh2's client already reports 'SIGTERM', prefix included.
        signal = (sig ?? null) as NodeJS.Signals | null;
      });
      ch.on('close', () => resolve({ code, signal, stdout, stderr }));
      onChannel?.(ch);
    });
  });
}

const openSftp = (c: Client): Promise<SFTPWrapper> =>
  new Promise((resolve, reject) => c.sftp((e, s) => (e ? reject(e) : resolve(s))));

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simssh-'));
  await Promise.all([
    keygen(key('host'), 'ed25519'),
    keygen(key('host2'), 'ed25519'),
    keygen(key('id_ed25519'), 'ed25519'),
    keygen(key('id_rsa'), 'rsa'),
    keygen(key('id_wrong'), 'ed25519'),
  ]);
  fs.mkdirSync(key('home'));
  srv = await startSshServer({
    host: HOST,
    hostKey: fs.readFileSync(key('host'), 'utf8'),
    authorizedKeys: [
      fs.readFileSync(key('id_ed25519.pub'), 'utf8'),
      '# comment',
      fs.readFileSync(key('id_rsa.pub'), 'utf8'),
    ],
    env: { SIM_NODE: 'emqx1' },
    cwd: key('home'),
  });
  fs.writeFileSync(key('known_hosts'), `[${srv.host}]:${srv.port} ${srv.hostPublicKey}\n`);
});

afterAll(async () => {
  await srv?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('startSshServer with the OpenSSH client', () => {
  it('separates stdout and stderr and returns the exit code', async () => {
    const r = await run('ssh', sshArgs(srv, key('id_ed25519'), 'echo out; echo err >&2; exit 3'));
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    const ok = await run('ssh', sshArgs(srv, key('id_ed25519'), 'echo "$SIM_NODE $(pwd)"'));
    expect(ok).toMatchObject({ code: 0, stdout: `emqx1 ${key('home')}\n`, stderr: '' });
  });

  it('reports a command killed by a signal (ssh exits 255 without an exit status)', async () => {
    const r = await run('ssh', sshArgs(srv, key('id_ed25519'), 'echo before; kill -KILL $$'));
    expect(r.stdout).toBe('before\n');
    expect(r.code).toBe(255);
  });

  it('refuses a key that is not authorized', async () => {
    const r = await run('ssh', sshArgs(srv, key('id_wrong'), 'echo should-not-run'));
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Permission denied (publickey)');
  });

  it('refuses a server whose host key does not match known_hosts', async () => {
    const other = await startSshServer({
      host: HOST,
      hostKey: fs.readFileSync(key('host2'), 'utf8'),
      authorizedKeys: [fs.readFileSync(key('id_ed25519.pub'), 'utf8')],
    });
    try {
      expect(other.hostPublicKey).not.toBe(srv.hostPublicKey);
      // known_hosts names srv's key for [HOST]:srv.port; present other's port with srv's key.
      fs.writeFileSync(key('kh_other'), `[${other.host}]:${other.port} ${srv.hostPublicKey}\n`);
      const args = sshArgs(other, key('id_ed25519'), 'true').map((a) => a.replace(key('known_hosts'), key('kh_other')));
      const r = await run('ssh', args);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      await other.close();
    }
  });

  it('sftp -b uploads and downloads byte-identical files and supports the usual commands', async () => {
    const src = key('up.bin');
    fs.writeFileSync(src, randomBytes(3 * 1024 * 1024 + 17));
    const remoteDir = key('home/sftpdir');
    const batch = [
      `mkdir sftpdir`,
      `put ${src} sftpdir/up.bin`,
      `get ${remoteDir}/up.bin ${key('down.bin')}`,
      `rename sftpdir/up.bin sftpdir/moved.bin`,
      `chmod 600 sftpdir/moved.bin`,
      `ls -l sftpdir`,
      `ln -s moved.bin sftpdir/link`,
      `rm sftpdir/link`,
    ].join('\n');
    const r = await run(
      'sftp',
      [
        '-F',
        '/dev/null',
        '-i',
        key('id_ed25519'),
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        `UserKnownHostsFile=${key('known_hosts')}`,
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-P',
        String(srv.port),
        '-b',
        '-',
        `${USER}@${srv.host}`,
      ],
      batch,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sha(key('down.bin'))).toBe(sha(src));
    expect(sha(path.join(remoteDir, 'moved.bin'))).toBe(sha(src));
    expect(fs.statSync(path.join(remoteDir, 'moved.bin')).mode & 0o777).toBe(0o600);
    expect(r.stdout).toMatch(/-rw------- +1 +\d+ +\d+ +3145745 \w{3} [ \d]\d [\d: ]{5} moved\.bin/);
    expect(fs.existsSync(path.join(remoteDir, 'link'))).toBe(false);

    // scp in SFTP mode (-s), both directions.
    const scpOpts = [
      '-F',
      '/dev/null',
      '-s',
      '-i',
      key('id_ed25519'),
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `UserKnownHostsFile=${key('known_hosts')}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-P',
      String(srv.port),
    ];
    const up = await run('scp', [...scpOpts, src, `${USER}@${srv.host}:${remoteDir}/scp.bin`]);
    expect(up).toMatchObject({ code: 0, stderr: '' });
    expect(sha(path.join(remoteDir, 'scp.bin'))).toBe(sha(src));
    const down = await run('scp', [...scpOpts, `${USER}@${srv.host}:sftpdir/scp.bin`, key('scp.back')]);
    expect(down).toMatchObject({ code: 0, stderr: '' });
    expect(sha(key('scp.back'))).toBe(sha(src));
  });
});

describe('startSshServer with the ssh2 Client', () => {
  it('exec: exit codes, split streams, stdin, env, RSA keys (rsa-sha2)', async () => {
    const c = await connect(srv, key('id_rsa'));
    try {
      expect(await exec(c, 'echo a; echo b >&2; exit 0')).toEqual({
        code: 0,
        signal: null,
        stdout: 'a\n',
        stderr: 'b\n',
      });
      expect((await exec(c, 'exit 3')).code).toBe(3);
      const piped = await exec(c, 'tr a-z A-Z', (ch) => ch.end('hello\n'));
      expect(piped.stdout).toBe('HELLO\n');
      // env requests are accepted but, like sshd without AcceptEnv, not applied.
      const env = await new Promise<string>((resolve, reject) =>
        c.exec('echo "[$FOO]"', { env: { FOO: 'bar' } }, (e, ch) => {
          if (e) return reject(e);
          let out = '';
          ch.on('data', (d: Buffer) => (out += d)).on('close', () => resolve(out));
          ch.stderr.resume();
        }),
      );
      expect(env).toBe('[]\n');
    } finally {
      c.end();
    }
  });

  it('exec: a signal request kills the whole process group and is reported as exit-signal', async () => {
    const c = await connect(srv);
    try {
      let pid = 0;
      const t0 = Date.now();
      const r = await exec(c, 'echo $$; sleep 30 & wait', (ch) => {
        ch.once('data', (d: Buffer) => {
          pid = Number(d.toString().trim());
          ch.signal('TERM');
        });
      });
      expect(r.signal).toBe('SIGTERM');
      expect(r.code).toBeNull();
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(pid).toBeGreaterThan(1);
      // The background sleep was in the same group: the group is gone.
      expect(await waitFor(() => !alive(-pid), 2_000)).toBe(true);
    } finally {
      c.end();
    }
  });

  it('exec: closing the channel mid-command kills the process group (unlike a real sshd)', async () => {
    const c = await connect(srv);
    try {
      const pid = await new Promise<number>((resolve, reject) =>
        c.exec('echo $$; sleep 30', (e, ch) => {
          if (e) return reject(e);
          ch.stderr.resume();
          ch.once('data', (d: Buffer) => {
            resolve(Number(d.toString().trim()));
            ch.close();
          });
        }),
      );
      expect(await waitFor(() => !alive(-pid), 3_000)).toBe(true);
    } finally {
      c.end();
    }
  });

  it('counts connections and survives clients that vanish', async () => {
    // Earlier tests' clients may still be closing on the server side.
    expect(await waitFor(() => srv.connectionCount() === 0, 3_000)).toBe(true);
    const before = 0;
    const c1 = await connect(srv);
    const c2 = await connect(srv);
    expect(srv.connectionCount()).toBe(before + 2);
    c1.end();
    c2.destroy();
    expect(await waitFor(() => srv.connectionCount() === before, 3_000)).toBe(true);
    // Still serving.
    const c3 = await connect(srv);
    expect((await exec(c3, 'echo alive')).stdout).toBe('alive\n');
    c3.end();
  });

  it('answers client keepalives on an idle connection', async () => {
    const c = new Client();
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await new Promise<void>((resolve) => {
      c.on('ready', () => resolve());
      // 3 unanswered keepalives at 50 ms would end the connection within ~150 ms.
      c.connect({
        host: srv.host,
        port: srv.port,
        username: USER,
        privateKey: fs.readFileSync(key('id_ed25519')),
        keepaliveInterval: 50,
        keepaliveCountMax: 2,
      });
    });
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(errors).toEqual([]);
      expect((await exec(c, 'echo still')).stdout).toBe('still\n');
    } finally {
      c.end();
    }
  });

  it('rejects a wrong key over ssh2 too', async () => {
    await expect(connect(srv, key('id_wrong'))).rejects.toThrow(/authentication methods failed/);
  });

  it('fastPut of a 20 MB file (concurrency 64, out-of-order writes) is byte-identical', async () => {
    const src = key('big.bin');
    fs.writeFileSync(src, randomBytes(20 * 1024 * 1024));
    const c = await connect(srv);
    try {
      const sftp = await openSftp(c);
      const t0 = Date.now();
      await new Promise<void>((resolve, reject) =>
        sftp.fastPut(src, 'big.part', { concurrency: 64, chunkSize: 32768, mode: 0o644 }, (e) =>
          e ? reject(e) : resolve(),
        ),
      );
      const ms = Date.now() - t0;
      console.log(`fastPut 20 MB to the sim server: ${ms} ms`);
      expect(sha(key('home/big.part'))).toBe(sha(src));
      // And back with fastGet (parallel READs).
      await new Promise<void>((resolve, reject) =>
        sftp.fastGet(key('home/big.part'), key('big.back'), { concurrency: 16 }, (e) => (e ? reject(e) : resolve())),
      );
      expect(sha(key('big.back'))).toBe(sha(src));
    } finally {
      c.end();
    }
  });

  it('dropConnectionsAfterBytes kills an upload mid-way, once', async () => {
    const src = key('big.bin'); // from the previous test
    if (!fs.existsSync(src)) fs.writeFileSync(src, randomBytes(20 * 1024 * 1024));
    const c = await connect(srv);
    const closed = new Promise<string>((resolve) => c.on('close', () => resolve('closed')));
    c.on('error', () => {});
    const sftp = await openSftp(c);
    srv.dropConnectionsAfterBytes(5 * 1024 * 1024);
    // Raw fastPut never calls back when the connection dies (libraries.md §2.4): race it.
    const put = new Promise<string>((resolve) =>
      sftp.fastPut(src, 'dropped.part', { concurrency: 64, chunkSize: 32768 }, (e) => resolve(e ? 'error' : 'done')),
    );
    expect(await Promise.race([put, closed])).toMatch(/closed|error/);
    await closed;
    const size = fs.statSync(key('home/dropped.part')).size;
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(5 * 1024 * 1024 + 64 * 32768);
    expect(size).toBeLessThan(20 * 1024 * 1024);
    // Once: the next upload goes through.
    const c2 = await connect(srv);
    try {
      const s2 = await openSftp(c2);
      await new Promise<void>((resolve, reject) =>
        s2.fastPut(src, 'dropped.part', { concurrency: 64, chunkSize: 32768 }, (e) => (e ? reject(e) : resolve())),
      );
      expect(sha(key('home/dropped.part'))).toBe(sha(src));
    } finally {
      c2.end();
    }
  });

  it('SFTP semantics: errno mapping, RENAME onto an existing file fails, posix-rename, flags, setstat, dirs, links', async () => {
    const c = await connect(srv);
    try {
      const s = await openSftp(c);
      const call = <T>(
        fn: (cb: (e: (Error & { code?: number }) | null | undefined, v?: T) => void) => void,
      ): Promise<T> => new Promise((resolve, reject) => fn((e, v) => (e ? reject(e) : resolve(v as T))));
      const home = key('home');

      await expect(call((cb) => s.stat('nope', cb))).rejects.toMatchObject({ code: 2 }); // NO_SUCH_FILE

      // Requests are served in order, as by OpenSSH's sftp-server (its client truncates uploads
      // when WRITE acks arrive out of order). Deterministic probe: OPEN of a FIFO blocks until a
      // writer appears; a STAT sent after it must not be answered before it.
      const fifo = path.join(home, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const order: string[] = [];
      const opened = call<Buffer>((cb) => s.open('fifo', 'r', cb)).then((h) => (order.push('open'), h));
      const statted = call((cb) => s.stat('fifo', cb)).then(() => order.push('stat'));
      await new Promise((r) => setTimeout(r, 300));
      expect(order).toEqual([]);
      const w = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK); // reader is waiting
      const [fh] = await Promise.all([opened, statted]);
      fs.closeSync(w);
      expect(order).toEqual(['open', 'stat']);
      await call((cb) => s.close(fh, cb));
      fs.unlinkSync(fifo);
      expect(await call<string>((cb) => s.realpath('.', cb))).toBe(home);

      await call((cb) => s.mkdir('d1', cb));
      fs.writeFileSync(path.join(home, 'd1/a'), 'AAA');
      fs.writeFileSync(path.join(home, 'd1/b'), 'BBB');
      // SFTPv3 rename onto an existing target fails (FAILURE = 4), as on OpenSSH.
      await expect(call((cb) => s.rename('d1/a', 'd1/b', cb))).rejects.toMatchObject({ code: 4 });
      // posix-rename replaces atomically; ssh2's client only sends it when advertised, so pretend.
      (s as unknown as { _extensions: Record<string, string> })._extensions['posix-rename@openssh.com'] = '1';
      await call((cb) => s.ext_openssh_rename('d1/a', 'd1/b', cb));
      expect(fs.readFileSync(path.join(home, 'd1/b'), 'utf8')).toBe('AAA');
      expect(fs.existsSync(path.join(home, 'd1/a'))).toBe(false);

      // open flags: excl fails on an existing file; append appends; write at an offset.
      await expect(call((cb) => s.open('d1/b', 'wx', cb))).rejects.toMatchObject({ code: 4 });
      const h = await call<Buffer>((cb) => s.open('d1/b', 'a', cb));
      await call((cb) => s.write(h, Buffer.from('+'), 0, 1, 0, cb));
      await call((cb) => s.close(h, cb));
      expect(fs.readFileSync(path.join(home, 'd1/b'), 'utf8')).toBe('AAA+');
      const h2 = await call<Buffer>((cb) => s.open('d1/b', 'r+', cb));
      await call((cb) => s.write(h2, Buffer.from('x'), 0, 1, 1, cb));
      const st = await call<{ size: number }>((cb) => s.fstat(h2, cb));
      expect(st.size).toBe(4);
      await call((cb) => s.fsetstat(h2, { size: 2 }, cb));
      await call((cb) => s.close(h2, cb));
      expect(fs.readFileSync(path.join(home, 'd1/b'), 'utf8')).toBe('Ax');

      await call((cb) => s.setstat('d1/b', { mode: 0o640, atime: 1_000_000, mtime: 2_000_000 }, cb));
      const fst = fs.statSync(path.join(home, 'd1/b'));
      expect(fst.mode & 0o777).toBe(0o640);
      expect(Math.floor(fst.mtimeMs / 1000)).toBe(2_000_000);

      await call((cb) => s.symlink('b', 'd1/l', cb));
      expect(fs.readlinkSync(path.join(home, 'd1/l'))).toBe('b');
      expect(await call<string>((cb) => s.readlink('d1/l', cb))).toBe('b');
      const lst = await call<{ isSymbolicLink(): boolean }>((cb) => s.lstat('d1/l', cb));
      expect(lst.isSymbolicLink()).toBe(true);

      const list = await call<{ filename: string; longname: string }[]>((cb) => s.readdir('d1', cb));
      expect(list.map((e) => e.filename).sort()).toEqual(['b', 'l']);
      expect(list.find((e) => e.filename === 'l')!.longname).toMatch(/^lrwxrwxrwx /);
      // readdir of a file is an error, not a crash.
      await expect(call((cb) => s.readdir('d1/b', cb))).rejects.toMatchObject({ code: 4 });
      await expect(call((cb) => s.rmdir('d1', cb))).rejects.toMatchObject({ code: 4 }); // not empty
      await call((cb) => s.unlink('d1/l', cb));
      await call((cb) => s.unlink('d1/b', cb));
      await call((cb) => s.rmdir('d1', cb));
      expect(fs.existsSync(path.join(home, 'd1'))).toBe(false);

      // EPERM/EACCES map to PERMISSION_DENIED (3). Root bypasses file modes, but not /proc:
      // unlink(/proc/version) is EPERM for everyone.
      await expect(call((cb) => s.unlink('/proc/version', cb))).rejects.toMatchObject({ code: 3 });
      // Other errno values are FAILURE (4) with the errno text.
      await expect(call((cb) => s.mkdir('/proc/version/x', cb))).rejects.toMatchObject({ code: 4, message: /ENOTDIR/ });
    } finally {
      c.end();
    }
  });
});

describe('startSshServer lifecycle', () => {
  it('close() resolves with connections open and leaves no child process', async () => {
    const s = await startSshServer({
      host: HOST,
      hostKey: fs.readFileSync(key('host2'), 'utf8'),
      authorizedKeys: [fs.readFileSync(key('id_ed25519.pub'), 'utf8')],
      cwd: dir,
    });
    const c = await connect(s);
    c.on('error', () => {});
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      pids.push(
        await new Promise<number>((resolve, reject) =>
          c.exec('echo $$; trap "" TERM HUP; sleep 60 & sleep 60', (e, ch) => {
            if (e) return reject(e);
            ch.stderr.resume();
            ch.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
          }),
        ),
      );
    }
    expect(pids.every((p) => alive(-p))).toBe(true);
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(pids.filter((p) => alive(-p))).toEqual([]);
    expect(s.connectionCount()).toBe(0);
    await expect(s.close()).resolves.toBeUndefined(); // idempotent
  });

  it('rejects bad keys with a clear error that does not echo key material', async () => {
    const secret = 'not-a-key-SECRET-123';
    const e1 = await startSshServer({ hostKey: secret, authorizedKeys: [] }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(BadInputError);
    expect(String((e1 as Error).message)).not.toContain('SECRET');
    const e2 = await startSshServer({
      hostKey: fs.readFileSync(key('host'), 'utf8'),
      authorizedKeys: ['ssh-ed25519 !!!'],
    }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(BadInputError);
    expect((e2 as BadInputError).message).toContain('authorizedKeys[0]');
  });

  it('a port in use is an error, not a crash', async () => {
    const e = await startSshServer({
      host: HOST,
      port: srv.port,
      hostKey: fs.readFileSync(key('host'), 'utf8'),
      authorizedKeys: [],
    }).catch((x: unknown) => x);
    expect((e as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });
});
