// RemoteHost over SSH: ONE connection per node, reused for every command and for SFTP (a lazily
// opened subsystem channel on the same connection). If the connection died between commands it
// is re-established once; a command that was running when it died is not retried (its effect on
// the node is unknown) — that error goes to the caller.
import type { Duplex } from 'node:stream';
import PQueue from 'p-queue';
import type { SshTarget as NodeSpec } from './types.js';
import { RolloutError } from '../util/errors.js';
import { connectNode, type ConnectOptions, type Connection } from './connect.js';
import { execOn, type ExecInternalOptions } from './exec.js';
import { openSftp, type SftpSession } from './sftp.js';
import { stageFile, type StageOptions } from './stage.js';
import { openTunnel, type TunnelOptions } from './tunnel.js';
import type { ExecResult, RemoteHost, StageResult } from './types.js';

export class SshRemoteHost implements RemoteHost {
  readonly node: string;
  private conn: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  private sftpSession: Promise<SftpSession> | undefined;
  private closedByUser = false;

  constructor(
    readonly spec: NodeSpec,
    private readonly opts: ConnectOptions = {},
    conn?: Connection,
  ) {
    this.node = spec.name;
    this.conn = conn;
  }

  /** Connect now (openHosts does this for every node in parallel). */
  async connect(): Promise<void> {
    await this.connection();
  }

  /** The live connection, reconnecting once if the previous one died. */
  async connection(): Promise<Connection> {
    if (this.closedByUser) throw new RolloutError('internal', `${this.node}: RemoteHost used after close()`);
    if (this.conn && !this.conn.closed) return this.conn;
    this.connecting ??= connectNode(this.spec, this.opts).then(
      (c) => {
        this.conn = c;
        this.sftpSession = undefined;
        this.connecting = undefined;
        return c;
      },
      (e: unknown) => {
        this.connecting = undefined;
        throw e;
      },
    );
    return this.connecting;
  }

  async exec(command: string, opts: ExecInternalOptions = {}): Promise<ExecResult> {
    return execOn(await this.connection(), command, opts);
  }

  /** The SFTP channel on this node's connection, opened once and reopened if it closed. */
  async sftp(): Promise<SftpSession> {
    const conn = await this.connection();
    const current = this.sftpSession ? await this.sftpSession.catch(() => undefined) : undefined;
    if (current && !current.closed && current.conn === conn) return current;
    const next = openSftp(conn);
    this.sftpSession = next;
    next.catch(() => {
      if (this.sftpSession === next) this.sftpSession = undefined;
    });
    return next;
  }

  stage(localPath: string, remotePath: string, sha256: string, opts: StageOptions = {}): Promise<StageResult> {
    return stageFile(
      {
        node: this.node,
        exec: (c, o) => this.exec(c, o),
        sftp: () => this.sftp(),
        connection: () => this.connection(),
      },
      localPath,
      remotePath,
      sha256,
      opts,
    );
  }

  async openTcp(host: string, port: number, opts: TunnelOptions = {}): Promise<Duplex> {
    return openTunnel((await this.connection()).client, this.node, host, port, opts);
  }

  async close(): Promise<void> {
    this.closedByUser = true;
    const c = this.conn ?? (await this.connecting?.catch(() => undefined));
    await c?.close();
  }
}

export interface OpenHostsOptions extends ConnectOptions {
  /**
   * Parallel handshakes per sshd that sees them: the first hop of each node (its jump host, its
   * ProxyCommand, else the node itself). sshd's MaxStartups (10:30:100) starts dropping fresh
   * connections past 10 unauthenticated ones, which matters when every node goes through one bastion.
   * Default 8.
   */
  readonly concurrency?: number;
  /** Parallel handshakes in all (this process's CPU and file descriptors). Default 64. */
  readonly totalConcurrency?: number;
}

export interface OpenHostsResult {
  readonly hosts: Map<string, RemoteHost>;
  /** Nodes that could not be reached, with the reason (host key, auth, refused, …). */
  readonly failures: Map<string, RolloutError>;
}

/** The sshd (or local command) that receives a node's first handshake. */
export function firstHopKey(spec: NodeSpec): string {
  const j = spec.jump[0];
  if (j) return j.proxyCommand !== undefined ? `proxy:${j.proxyCommand}` : `ssh:${j.host}:${j.port}`;
  return spec.proxyCommand !== undefined ? `proxy:${spec.proxyCommand}` : `ssh:${spec.host}:${spec.port}`;
}

/**
 * Connect to every node in parallel: nodes behind different sshds all at once (a 30-node cluster in
 * one round of handshakes, not four), at most `concurrency` at a time through any one sshd. Returns
 * the reachable hosts and the failures side by side: preflight wants to report every unreachable
 * node at once, not just the first.
 */
export async function openHostsSettled(
  specs: readonly NodeSpec[],
  opts: OpenHostsOptions = {},
): Promise<OpenHostsResult> {
  const total = new PQueue({ concurrency: opts.totalConcurrency ?? 64 });
  const perHop = new Map<string, PQueue>();
  const queueOf = (spec: NodeSpec): PQueue => {
    const k = firstHopKey(spec);
    let q = perHop.get(k);
    if (!q) perHop.set(k, (q = new PQueue({ concurrency: opts.concurrency ?? 8 })));
    return q;
  };
  const hosts = new Map<string, RemoteHost>();
  const failures = new Map<string, RolloutError>();
  await Promise.all(
    specs.map((spec) =>
      queueOf(spec).add(() =>
        total.add(async () => {
          const h = new SshRemoteHost(spec, opts);
          try {
            await h.connect();
            hosts.set(spec.name, h);
          } catch (e) {
            failures.set(
              spec.name,
              e instanceof RolloutError ? e : new RolloutError('remote', `${spec.name}: ${String(e)}`, { cause: e }),
            );
          }
        }),
      ),
    ),
  );
  // Keep inventory order.
  return {
    hosts: new Map(specs.filter((s) => hosts.has(s.name)).map((s) => [s.name, hosts.get(s.name)!])),
    failures,
  };
}

/** Connect to every node; if any fails, close the rest and throw the first failure (inventory order). */
export async function openHosts(
  specs: readonly NodeSpec[],
  opts: OpenHostsOptions = {},
): Promise<Map<string, RemoteHost>> {
  const { hosts, failures } = await openHostsSettled(specs, opts);
  if (failures.size > 0) {
    await Promise.all([...hosts.values()].map((h) => h.close()));
    const first = specs.map((s) => failures.get(s.name)).find((e) => e !== undefined)!;
    if (failures.size === 1) throw first;
    throw new RolloutError(
      first.kind,
      `${failures.size} of ${specs.length} nodes unreachable; first: ${first.message}`,
      {
        details: [...failures.values()].map((e) => e.message),
        ...(first.hint ? { hint: first.hint } : {}),
        cause: first,
      },
    );
  }
  return hosts;
}
