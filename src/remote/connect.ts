// One verified SSH connection to a node, optionally through a ProxyJump chain.
// Every hop verifies its own host key against the node's known_hosts; nothing is trusted on first use.
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, Client as ClientT, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import type { JumpTarget as JumpHost, SshTarget as NodeSpec } from './types.js';
import { RolloutError, errorMessage } from '../util/errors.js';
import {
  checkHostKey,
  hostKeyAlgorithms,
  hostKeyRefusal,
  readKnownHostsFile,
  type KnownHostEntry,
} from './knownHosts.js';
import { loadPrivateKey, type LoadedKey } from './keys.js';

const { Client } = ssh2;

export interface ConnectOptions {
  readonly signal?: AbortSignal;
  /** TCP connect + handshake + auth, per hop. ssh2's default is 20 s. */
  readonly readyTimeoutMs?: number;
  /** For an encrypted identityFile; the CLI reads EMQX_ROLLOUT_KEY_PASSPHRASE or prompts. */
  readonly passphrase?: string;
  /** SSH_AUTH_SOCK, passed in by the caller (nothing below cli/ reads the environment). */
  readonly agentSocket?: string;
  /** Keepalive probe interval; 10 s × 3 missed = a dead peer is noticed within ~30 s. */
  readonly keepaliveIntervalMs?: number;
}

/** A live connection to one node. Upper layers get a RemoteHost; this is for the remote layer. */
export interface Connection {
  readonly node: string;
  /** `host:port` of the node itself (not of a jump host). */
  readonly target: string;
  readonly client: ClientT;
  /** Set once the node connection (or any hop under it) closed. */
  readonly closed: boolean;
  /** Why it closed, when it was an error (keepalive timeout, socket reset, …). */
  readonly closeError: Error | undefined;
  /** Called once when the connection closes; returns an unsubscribe function. */
  onClose(fn: (err: Error | undefined) => void): () => void;
  /** End the node connection and every hop. Never rejects. */
  close(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
const KEEPALIVE_COUNT_MAX = 3;

interface HopTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** For messages: "emqx@10.0.0.11" or "emqx@10.0.0.11 via jump 1/2 (ops@bastion:22)". */
  readonly who: string;
  /** This hop's own key (ssh_config IdentityFile of a jump alias); undefined → the node's keys. */
  readonly identityFile?: string;
  /** This hop's own known_hosts (ssh_config); undefined → the node's. */
  readonly knownHosts?: string;
  /** ssh_config ProxyCommand: the first hop's transport is this local command's stdin/stdout. */
  readonly proxyCommand?: string;
}

/** A key beyond the first (ssh_config lists several): one that cannot be loaded is skipped, as ssh does. */
function optionalKey(file: string, passphrase: string | undefined, who: string): LoadedKey | undefined {
  try {
    return loadPrivateKey(file, passphrase, who);
  } catch {
    return undefined;
  }
}

export async function connectNode(spec: NodeSpec, opts: ConnectOptions = {}): Promise<Connection> {
  const known = readKnownHostsFile(spec.knownHosts, spec.name);
  const key =
    spec.identityFile === undefined ? undefined : loadPrivateKey(spec.identityFile, opts.passphrase, spec.name);
  const keys = [key, ...(spec.moreIdentityFiles ?? []).map((f) => optionalKey(f, opts.passphrase, spec.name))].filter(
    (k): k is LoadedKey => k !== undefined,
  );
  // IdentitiesOnly yes (ssh_config): the agent is not asked once a key file is given.
  const agent = spec.identitiesOnly && keys.length > 0 ? undefined : opts.agentSocket;
  if (key === undefined && !opts.agentSocket) {
    throw new RolloutError('remote', `${spec.name}: no way to authenticate: no identityFile and no ssh-agent`, {
      hint: 'set identityFile in the inventory, or start ssh-agent and export SSH_AUTH_SOCK',
    });
  }
  if (opts.signal?.aborted) throw aborted(spec.name, `${spec.host}:${spec.port}`, opts.signal);

  const hops: HopTarget[] = spec.jump.map((j: JumpHost, i) => ({
    host: j.host,
    port: j.port,
    user: j.user ?? spec.user,
    who: `${spec.name} via jump ${i + 1}/${spec.jump.length} (${j.user ?? spec.user}@${j.host}:${j.port})`,
    ...(j.identityFile ? { identityFile: j.identityFile } : {}),
    ...(j.knownHosts ? { knownHosts: j.knownHosts } : {}),
    ...(j.proxyCommand ? { proxyCommand: j.proxyCommand } : {}),
  }));
  const chain: ClientT[] = [];
  const closeAll = () => {
    for (const c of [...chain].reverse()) c.destroy();
  };
  try {
    let sock: ClientChannel | undefined;
    const nodeHop: HopTarget = {
      host: spec.host,
      port: spec.port,
      user: spec.user,
      who: spec.name,
      ...(spec.proxyCommand ? { proxyCommand: spec.proxyCommand } : {}),
    };
    for (const hop of [...hops, nodeHop]) {
      if (chain.length > 0) sock = await forwardOut(chain[chain.length - 1], hop, opts);
      else if (hop.proxyCommand) sock = proxyCommandStream(hop.proxyCommand) as unknown as ClientChannel;
      const hopKeys = hop.identityFile ? [loadPrivateKey(hop.identityFile, opts.passphrase, hop.who)] : keys;
      const hopKnown = hop.knownHosts ? readKnownHostsFile(hop.knownHosts, hop.who).entries : known.entries;
      chain.push(
        await connectHop(hop, sock, hopKnown, hop.knownHosts ?? spec.knownHosts, hopKeys, {
          ...opts,
          agentSocket: agent,
        }),
      );
    }
  } catch (e) {
    closeAll();
    throw e;
  }
  return wrapConnection(spec, chain);
}

function connectHop(
  hop: HopTarget,
  sock: ClientChannel | undefined,
  known: readonly KnownHostEntry[],
  knownFile: string,
  keys: readonly LoadedKey[],
  opts: ConnectOptions,
): Promise<ClientT> {
  const where = `${hop.host}:${hop.port}`;
  const readyTimeout = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const tried: string[] = [];
  const methods: AnyAuthMethod[] = [];
  for (const key of keys)
    methods.push({
      type: 'publickey',
      username: hop.user,
      key: key.data,
      ...(key.passphrase === undefined ? {} : { passphrase: key.passphrase }),
    });
  const keyFiles = new Map(
    methods.map((m) => [
      m,
      (m as { key?: Buffer }).key ? keys.find((k) => k.data === (m as { key: Buffer }).key)?.file : undefined,
    ]),
  );
  if (opts.agentSocket) methods.push({ type: 'agent', username: hop.user, agent: opts.agentSocket });

  return new Promise<ClientT>((resolve, reject) => {
    const c = new Client();
    let settled = false;
    let refusal: RolloutError | undefined;
    const started = Date.now();
    const fail = (err: RolloutError) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      c.destroy();
      reject(err);
    };
    const onAbort = () => fail(aborted(hop.who, where, opts.signal!));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // Permanent: ssh2 can emit 'error' twice (ECONNREFUSED, then "Connection lost before
    // handshake"); a once() listener would let the second one crash the process (libraries.md §1.2).
    c.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      fail(refusal ?? classify(err, hop, where, readyTimeout, Date.now() - started, tried));
    });
    c.once('ready', () => {
      if (settled) return;
      settled = true;
      // Nagle + delayed ACK cost ~40 ms per channel open and ~80 ms per short command on
      // loopback (measured: `true` took 120 ms round trip, 5 ms with TCP_NODELAY) — we send many small
      // requests, so turn Nagle off. A no-op for a hop running over a forwarded channel.
      c.setNoDelay(true);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(c);
    });
    const cfg: ConnectConfig = {
      host: hop.host,
      port: hop.port,
      username: hop.user,
      readyTimeout,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      ...(sock ? { sock } : {}),
      // @types/ssh2 wants the object form with all of append/prepend/remove, so pass a full list.
      algorithms: { serverHostKey: hostKeyAlgorithms(known, hop.host, hop.port) as ServerHostKeyAlgorithm[] },
      hostVerifier: (blob: Buffer) => {
        const verdict = checkHostKey(known, hop.host, hop.port, blob);
        if (verdict === 'ok') return true;
        refusal = hostKeyRefusal(
          verdict,
          { who: hop.who, host: hop.host, port: hop.port, file: knownFile },
          blob,
          known,
        );
        return false;
      },
      authHandler: (_left, _partial, next) => {
        const m = methods.shift();
        if (m === undefined) return next(false as unknown as AnyAuthMethod); // ssh2: false = give up
        tried.push(m.type === 'publickey' ? `key ${keyFiles.get(m)}` : `ssh-agent (${opts.agentSocket})`);
        next(m);
      },
    };
    try {
      c.connect(cfg);
    } catch (e) {
      fail(
        new RolloutError('remote', `${hop.who}: cannot start SSH connection to ${where}: ${errorMessage(e)}`, {
          cause: e,
        }),
      );
    }
  });
}

function classify(
  err: Error & { level?: string; code?: string },
  hop: HopTarget,
  where: string,
  readyTimeout: number,
  elapsedMs: number,
  tried: readonly string[],
): RolloutError {
  const details = [`ssh2: ${err.message}${err.level ? ` (level ${err.level})` : ''}`, `after ${elapsedMs} ms`];
  if (err.code === 'ECONNREFUSED') {
    return new RolloutError('remote', `${hop.who}: connection refused by ${where}`, {
      details,
      cause: err,
      hint: 'is sshd running and is the port in the inventory right?',
    });
  }
  if (err.level === 'client-timeout') {
    return new RolloutError(
      'remote',
      `${hop.who}: timed out connecting to ${where} (${err.message}; readyTimeout ${readyTimeout} ms)`,
      {
        details,
        cause: err,
        hint: 'check that the host is reachable and sshd answers (firewall, wrong port, overloaded host)',
      },
    );
  }
  if (err.level === 'client-authentication') {
    return new RolloutError('remote', `${hop.who}: authentication failed for user ${hop.user} at ${where}`, {
      details: [...details, `tried: ${tried.length ? tried.join(', ') : 'nothing'}`],
      cause: err,
      hint: `check that the key is in ~${hop.user}/.ssh/authorized_keys on ${hop.host} and the user name is right`,
    });
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new RolloutError('remote', `${hop.who}: cannot resolve host name ${hop.host}`, { details, cause: err });
  }
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'ETIMEDOUT') {
    return new RolloutError('remote', `${hop.who}: ${where} unreachable (${err.code})`, { details, cause: err });
  }
  return new RolloutError('remote', `${hop.who}: SSH connection to ${where} failed: ${err.message}`, {
    details,
    cause: err,
  });
}

function aborted(who: string, where: string, signal: AbortSignal): RolloutError {
  return new RolloutError('interrupted', `${who}: connecting to ${where} was cancelled`, { cause: signal.reason });
}

/** A direct-tcpip channel from `via` to the next hop (what OpenSSH's ProxyJump does). */
function forwardOut(via: ClientT, hop: HopTarget, opts: ConnectOptions): Promise<ClientChannel> {
  const where = `${hop.host}:${hop.port}`;
  const ms = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(
      () =>
        finish(
          new RolloutError(
            'remote',
            `${hop.who}: timed out after ${ms} ms opening a tunnel to ${where} through the previous hop`,
          ),
        ),
      ms,
    );
    const onAbort = () => finish(aborted(hop.who, where, opts.signal!));
    function finish(err: RolloutError | null, ch?: ClientChannel) {
      if (done) {
        ch?.destroy();
        return;
      }
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(ch!);
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    via.forwardOut('127.0.0.1', 0, hop.host, hop.port, (err, ch) => {
      if (err) {
        const reason = (err as Error & { reason?: number }).reason;
        finish(
          new RolloutError(
            'remote',
            `${hop.who}: the previous hop refused to open a tunnel to ${where}: ${err.message}`,
            {
              details: reason === 1 ? ['reason 1: administratively prohibited'] : [],
              hint:
                reason === 1
                  ? 'the jump host needs AllowTcpForwarding yes in sshd_config'
                  : 'check that the jump host can reach this address and port',
              cause: err,
            },
          ),
        );
      } else finish(null, ch);
    });
  });
}

function wrapConnection(spec: NodeSpec, chain: readonly ClientT[]): Connection {
  const node = chain[chain.length - 1];
  let closed = false;
  let closeError: Error | undefined;
  const listeners = new Set<(err: Error | undefined) => void>();
  const markClosed = () => {
    if (closed) return;
    closed = true;
    for (const fn of [...listeners]) fn(closeError);
    listeners.clear();
    // A dead node connection makes every hop useless, and a dead hop kills the node connection.
    for (const c of chain) c.end();
  };
  for (const c of chain) {
    c.on('error', (err: Error) => {
      closeError ??= err;
    });
    c.on('close', markClosed);
  }
  return {
    node: spec.name,
    target: `${spec.host}:${spec.port}`,
    client: node,
    get closed() {
      return closed;
    },
    get closeError() {
      return closeError;
    },
    onClose(fn) {
      if (closed) {
        queueMicrotask(() => fn(closeError));
        return () => {};
      }
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close() {
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // end() asks politely; if the peer does not answer within 2 s, destroy the sockets.
        const t = setTimeout(() => {
          for (const c of chain) c.destroy();
          resolve();
        }, 2_000);
        listeners.add(() => {
          clearTimeout(t);
          resolve();
        });
        for (const c of [...chain].reverse()) c.end();
      });
    },
  };
}

/**
 * ssh_config ProxyCommand, as ssh runs it: `/bin/sh -c "exec <command>"` on this machine, whose
 * stdin/stdout carry the SSH connection. The command's stderr is kept (its tail names the failure);
 * closing the stream ends the command.
 */
export function proxyCommandStream(command: string): Duplex {
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-500);
  });
  const sock = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk, _enc, cb) {
      // A write to a command that died fails with EPIPE; its exit status, reported on 'close'
      // below, is the useful message, so the write error is not.
      if (child.stdin.destroyed) return cb();
      child.stdin.write(chunk, () => cb());
    },
    final(cb) {
      child.stdin.end();
      cb();
    },
    destroy(err, cb) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      cb(err);
    },
  });
  child.stdin.on('error', () => {}); // EPIPE once the command is gone: reported by 'exit' below
  child.stdout.on('data', (d: Buffer) => {
    if (!sock.push(d)) child.stdout.pause();
  });
  child.on('error', (e) => sock.destroy(new Error(`ProxyCommand could not be started: ${e.message} (${command})`)));
  // 'close': the command exited and its output is drained — only then is its end known to be a failure or not.
  child.on('close', (code, signal) => {
    if (sock.destroyed) return;
    if (code === 0) sock.push(null);
    else
      sock.destroy(
        new Error(
          `ProxyCommand exited with ${signal ?? `code ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''} (${command})`,
        ),
      );
  });
  return sock;
}
