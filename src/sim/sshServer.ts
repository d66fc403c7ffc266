// An in-process SSH server for the simulator: one per simulated node, each with its own host key.
// Public-key auth only; `exec` runs real commands (ssh/exec.ts); the `sftp` subsystem serves the
// real filesystem (ssh/sftp.ts). Built on ssh2's Server, fed sockets from our own net.Server so we
// can count and drop connections (fault injection) without reaching into ssh2 internals.
//
// Where it differs from the OpenSSH sshd on a real node (clients must not rely on these):
// - A command still running when its channel/connection closes is SIGKILLed with its process
//   group; sshd leaves it running (libraries.md §1.7). Code must still kill remote work itself.
// - `signal` requests are honoured whoever logs in; sshd ignores them for root logins.
// - No extensions are advertised (ssh2 hard-codes the SFTP VERSION packet), so clients cannot
//   use posix-rename@openssh.com / statvfs / fsync / limits; to replace a file, REMOVE then
//   RENAME, or exec `mv -f`. An EXTENDED posix-rename sent anyway is honoured.
// - env requests are accepted and ignored (like sshd without AcceptEnv). No pty, shell, remote
//   port forwarding or agent forwarding. Any user name is accepted; commands run as us.
// - With `simulateLoginUser`, every exec gets EMQX_SIM_LOGIN_USER=<the login name>: the simulated
//   node's bin/emqx (check_user) and the `sudo`/`whoami`/`id` shims take it for the caller, since
//   this server cannot change uid (see wrapperScript.ts and shims.ts).
// - Local forwarding (`direct-tcpip`, what `ssh -L`, ProxyJump and the MQTT gate use) is served,
//   but only to loopback addresses (127.0.0.0/8, localhost): the simulator never leaves the machine.
import ssh2 from 'ssh2'; // CJS: `import { Server }` crashes under plain Node ESM (libraries.md §1.1)
import type { Connection, ServerChannel, Session, TcpipRequestInfo as TcpipInfo } from 'ssh2';
import * as net from 'node:net';
import * as os from 'node:os';
import { parseAuthorizedKeys, parseHostKey, judgePublicKey } from './ssh/keys.js';
import { forwardSignal, runExec, type RunningExec } from './ssh/exec.js';
import { serveSftp, type SftpSession } from './ssh/sftp.js';

const { Server } = ssh2;

// Bound on how long close() waits for killed commands to be reaped; SIGKILL normally takes <50 ms.
const CLOSE_WAIT_MS = 3_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export interface SimSshServer {
  readonly host: string;
  readonly port: number;
  /** OpenSSH public line 'ssh-ed25519 AAAA…' (no comment). */
  readonly hostPublicKey: string;
  /** Fault injection for tests: close every connection after this many uploaded bytes, SFTP WRITEs or exec stdin (once), or never. */
  dropConnectionsAfterBytes(bytes: number | null): void;
  /** Number of currently open client connections (for tests that check connection reuse). */
  connectionCount(): number;
  /** Closes the listener AND all client connections, kills running children. */
  close(): Promise<void>;
}

export interface SimSshServerOptions {
  /** Default '127.0.0.1'; any 127.0.0.x works on Linux. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** OpenSSH/PEM private key text. */
  hostKey: string;
  /** OpenSSH public key lines (type base64 [comment]). */
  authorizedKeys: string[];
  /** Extra env for exec'd commands. */
  env?: Record<string, string>;
  /** Default os.homedir(). */
  cwd?: string;
  /** Export EMQX_SIM_LOGIN_USER=<SSH login name> to every command (package-layout nodes). */
  simulateLoginUser?: boolean;
}

/** Per-connection bookkeeping, so a dropped connection kills its commands and closes its files. */
interface ConnState {
  readonly socket: net.Socket;
  readonly execs: Set<RunningExec>;
  readonly sftps: Set<SftpSession>;
  /** The authenticated login name. */
  user: string;
  /** Sockets of forwarded (direct-tcpip) channels. */
  readonly tunnels: Set<net.Socket>;
}

const isLoopback = (ip: string): boolean => ip === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);

export async function startSshServer(opts: SimSshServerOptions): Promise<SimSshServer> {
  const host = opts.host ?? '127.0.0.1';
  const hostKey = parseHostKey(opts.hostKey);
  const authorized = parseAuthorizedKeys(opts.authorizedKeys);
  const cwd = opts.cwd ?? os.homedir();
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };

  const conns = new Set<ConnState>();
  const allExecs = new Set<RunningExec>();
  let dropAfter: number | null = null;
  let writtenSinceArmed = 0;

  const dropAll = (): void => {
    for (const c of conns) c.socket.destroy();
  };

  /** Fault injection: count uploaded bytes (SFTP WRITE payloads, exec stdin); once the budget is spent, tear every connection down. */
  const beforeWrite = (bytes: number): boolean => {
    if (dropAfter === null) return true;
    if (writtenSinceArmed + bytes <= dropAfter) {
      writtenSinceArmed += bytes;
      return true;
    }
    dropAfter = null; // once
    dropAll();
    return false;
  };

  const ssh = new Server({ hostKeys: [hostKey.privateKey] });
  // ssh2's Server re-emits its inner net.Server errors; we never listen on it, but keep a listener
  // so a stray error cannot crash the process.
  ssh.on('error', () => {});

  // ssh2 gives no public link from a Connection to its socket, but it reports the peer's
  // address and port, which identify our accepted socket uniquely while it is open.
  const byPeer = new Map<string, ConnState>();
  const peerKey = (ip: string | undefined, port: number | undefined): string => `${ip}|${port}`;
  ssh.on('connection', (client: Connection, info: { ip: string; port: number }) => {
    const state = byPeer.get(peerKey(info.ip, info.port));
    if (!state) {
      client.on('error', () => {});
      client.end();
      return;
    }
    // Nagle on the server side holds each small reply until the client's delayed ACK (~40 ms):
    // measured 44 ms per `true` round trip without this. (OpenSSH's sshd sets TCP_NODELAY only for
    // interactive sessions, so a real node costs more per command; see the staging benchmark.)
    (client as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
    handleClient(client, state);
  });

  const listener = net.createServer((socket) => {
    const state: ConnState = { socket, execs: new Set(), sftps: new Set(), user: '', tunnels: new Set() };
    const key = peerKey(socket.remoteAddress, socket.remotePort);
    conns.add(state);
    byPeer.set(key, state);
    // A client vanishing mid-handshake or mid-transfer is routine, never a crash.
    socket.on('error', () => {});
    socket.once('close', () => {
      conns.delete(state);
      if (byPeer.get(key) === state) byPeer.delete(key);
      cleanupConn(state);
    });
    ssh.injectSocket(socket);
  });

  function cleanupConn(state: ConnState): void {
    for (const run of state.execs) if (!run.isDone()) run.killGroup('SIGKILL');
    for (const s of state.sftps) void s.closeAll();
    for (const t of state.tunnels) t.destroy();
  }

  function handleClient(client: Connection, state: ConnState): void {
    // ssh2 may emit 'error' more than once per client (libraries.md §0 item 2): keep a permanent listener.
    client.on('error', () => {});
    client.on('close', () => cleanupConn(state));

    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      if (judgePublicKey(ctx, authorized) === 'accept') {
        state.user = ctx.username;
        ctx.accept();
      } else ctx.reject(['publickey']);
    });

    client.on('ready', () => {
      // Port forwarding and other global requests: not offered.
      client.on('request', (_accept, reject) => reject?.());
      client.on('tcpip', (accept, reject, info) => forwardTcp(accept, reject, info, state));
      client.on('session', (acceptSession) => handleSession(acceptSession(), state));
    });
  }

  /** direct-tcpip to a loopback address: connect first, accept only once the target answered. */
  function forwardTcp(accept: () => ServerChannel, reject: () => void, info: TcpipInfo, state: ConnState): void {
    if (!isLoopback(info.destIP)) return reject();
    const sock = net.connect({ host: info.destIP, port: info.destPort });
    const onEarlyError = (): void => reject(); // ssh2 answers a reject with reason 2, "connect failed"
    sock.once('error', onEarlyError);
    sock.once('connect', () => {
      sock.off('error', onEarlyError);
      sock.setNoDelay(true);
      const ch = accept();
      state.tunnels.add(sock);
      sock.on('error', () => ch.destroy());
      ch.on('error', () => sock.destroy());
      sock.on('close', () => {
        state.tunnels.delete(sock);
        ch.destroy();
      });
      ch.on('close', () => sock.destroy());
      sock.pipe(ch).pipe(sock);
    });
  }

  function handleSession(session: Session, state: ConnState): void {
    let run: RunningExec | undefined;
    // Accepted but not applied: the test sshd has no AcceptEnv, so a real node drops them too
    // (libraries.md §1.6). Clients must put variables into the command.
    session.on('env', (accept) => accept?.());
    session.on('pty', (_a, reject) => reject?.());
    session.on('shell', (_a, reject) => reject?.());
    session.on('x11', (_a, reject) => reject?.());
    session.on('auth-agent', (_a, reject) => reject?.());
    session.on('subsystem', (_a, reject) => reject?.());
    session.on('window-change', (_a, reject) => reject?.());
    session.on('signal', (accept, reject, info) => {
      if (forwardSignal(run, info.name)) accept?.();
      else reject?.();
    });
    session.on('exec', (accept, _reject, info) => {
      const ch: ServerChannel = accept();
      // exec stdin counts like SFTP WRITEs: staging streams the tarball that way (remote/stageScript.ts)
      ch.on('data', (d: Buffer) => void beforeWrite(d.length));
      const r = runExec(ch, info.command, {
        cwd,
        env: opts.simulateLoginUser ? { ...env, EMQX_SIM_LOGIN_USER: state.user } : env,
      });
      run = r;
      state.execs.add(r);
      allExecs.add(r);
      void r.done.then(() => {
        state.execs.delete(r);
        allExecs.delete(r);
      });
    });
    session.on('sftp', (accept) => {
      const s = serveSftp(accept(), { cwd, beforeWrite });
      state.sftps.add(s);
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    listener.once('error', onError);
    listener.listen(opts.port ?? 0, host, () => {
      listener.off('error', onError);
      resolve();
    });
  });
  listener.on('error', () => {});
  const port = (listener.address() as net.AddressInfo).port;

  let closed: Promise<void> | null = null;
  return {
    host,
    port,
    hostPublicKey: hostKey.publicLine,
    dropConnectionsAfterBytes(bytes) {
      dropAfter = bytes;
      writtenSinceArmed = 0;
    },
    connectionCount: () => conns.size,
    close() {
      closed ??= (async () => {
        const listenerClosed = new Promise<void>((r) => listener.close(() => r()));
        const running = [...allExecs];
        for (const run of running) run.killGroup('SIGKILL');
        dropAll();
        // Wait until the shells are reaped and their groups are empty (background children
        // included), bounded: SIGKILL normally takes effect within a few ms.
        const deadline = Date.now() + CLOSE_WAIT_MS;
        await Promise.race([Promise.all(running.map((r) => r.done)), sleep(CLOSE_WAIT_MS)]);
        while (running.some((r) => r.groupAlive()) && Date.now() < deadline) await sleep(10);
        await listenerClosed;
      })();
      return closed;
    },
  };
}
