// The long-running process of one simulated EMQX node ("the VM"): started detached by
// `bin/emqx start`, stopped by `bin/emqx stop` (or SIGTERM). It holds what a running node holds in
// memory — running/boot version, uptime, MQTT clients on a real aedes listener — and answers the
// CLI over a unix socket. Persistent things (relup log rows, catalog) live in .sim/state.json.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { runCtl, type CtlReply, type EvacuationView, type SimNodeApi } from './ctl.js';
import { amap, atom, bin, list, tuple } from './erlTerm.js';
import { readFaults, type Faults } from './faults.js';
import { nodeConfigPath, pidPath, simDir, socketPath } from './layout.js';
import { readNodeConfig, type ClusterMember, type SimNodeConfig } from './nodeConfig.js';
import { failureResult, rpcFailedNodedown, upgradeComplete, upgradeFailed, type InternalStatus, type PluginInfo } from './outputs.js';
import { checkAndUnpack, RelupFailure, writeTroubleshootFile } from './relup.js';
import { rpcCall, type RpcReply, type RpcRequest } from './rpc.js';
import { readState, writeState, type CatalogEntry, type LogRow } from './state.js';

/** How long a VM restart (init:restart after a crash in code_changes) keeps the node unreachable. */
const VM_RESTART_MS = 1000;
/** notRunningAfterUpgrade: the node shows `stopping`, then exits this much later. */
const EXIT_AFTER_UPGRADE_MS = 1500;
const PEER_PING_TIMEOUT_MS = 1000;

export function readRelVsn(root: string): string {
  const vars = readFileSync(join(root, 'releases', 'emqx_vars'), 'utf8');
  const m = /^REL_VSN="([^"]+)"/m.exec(vars);
  if (!m) throw new Error(`REL_VSN not found in ${join(root, 'releases', 'emqx_vars')}`);
  return m[1];
}

class SimNode implements SimNodeApi {
  readonly name: string;
  private running: string;
  private state: InternalStatus = 'starting';
  private uptimeStart = Date.now();
  private down = false;
  private readonly sockets = new Set<Socket>();
  private maxConns = 0;
  private readonly subs = new Map<string, Set<string>>();
  private evac: EvacuationView = { active: false, initialConnected: 0, redirectTo: '', waitHealthCheck: 0 };
  private queue: Promise<unknown> = Promise.resolve();
  private aedes: Aedes | undefined;
  private mqtt: Server | undefined;
  private rpc: Server | undefined;
  private stopped = false;
  mqttPort = 0;

  constructor(
    readonly cfg: SimNodeConfig,
    readonly bootRoot: string,
    readonly baseRoot: string,
    readonly bootVsn: string,
  ) {
    this.name = cfg.name;
    this.running = bootVsn;
  }

  log(level: string, msg: string): void {
    try {
      appendFileSync(join(this.baseRoot, 'log', 'emqx.log'), `${new Date().toISOString()} [${level}] ${msg}\n`);
    } catch {
      // the log dir may be gone in a test teardown; logging must never take the node down
    }
  }

  async boot(): Promise<void> {
    const aedes = await Aedes.createBroker({
      preConnect: (_c, _p, cb) => cb(null, !(this.down || this.evac.active || this.state === 'stopping')),
    });
    this.aedes = aedes;
    aedes.on('client', () => {
      this.maxConns = Math.max(this.maxConns, aedes.connectedClients);
    });
    aedes.on('subscribe', (subs, client) => {
      const set = this.subs.get(client.id) ?? new Set<string>();
      for (const s of subs) set.add(s.topic);
      this.subs.set(client.id, set);
    });
    aedes.on('unsubscribe', (topics, client) => {
      for (const t of topics) this.subs.get(client.id)?.delete(t);
    });
    aedes.on('clientDisconnect', (client) => this.subs.delete(client.id));
    const mqtt = createServer((sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => sock.destroy());
      aedes.handle(sock);
    });
    this.mqtt = mqtt;
    await new Promise<void>((res, rej) => {
      mqtt.once('error', rej);
      mqtt.listen(this.cfg.mqttPort, this.cfg.mqttHost, () => res());
    });
    const addr = mqtt.address();
    this.mqttPort = typeof addr === 'object' && addr ? addr.port : 0;
    mkdirSync(simDir(this.baseRoot), { recursive: true });
    if (this.cfg.mqttPort === 0) {
      // first boot on "any port": keep that port for later boots, as a configured listener would
      writeFileSync(nodeConfigPath(this.baseRoot), JSON.stringify({ ...this.cfg, mqttPort: this.mqttPort }, null, 2));
    }

    const sock = socketPath(this.baseRoot);
    mkdirSync(simDir(this.baseRoot), { recursive: true });
    if (existsSync(sock)) {
      // a live daemon answers; a stale socket file (crashed daemon) is removed
      const alive = await rpcCall(sock, { op: 'ping' }, 1000);
      if (alive) throw new Error(`another node daemon already serves ${sock}`);
      rmSync(sock, { force: true });
    }
    const rpc = createServer((c) => this.serve(c));
    this.rpc = rpc;
    await new Promise<void>((res, rej) => {
      rpc.once('error', rej);
      rpc.listen(sock, () => res());
    });
    writeFileSync(pidPath(this.baseRoot), String(process.pid));
    writeFileSync(join(simDir(this.baseRoot), 'runtime.json'), JSON.stringify({ pid: process.pid, mqttHost: this.cfg.mqttHost, mqttPort: this.mqttPort, bootRoot: this.bootRoot, socket: sock }));
    this.state = 'started';
    this.log('notice', `EMQX Enterprise ${this.bootVsn} started from ${this.bootRoot}, mqtt ${this.cfg.mqttHost}:${this.mqttPort}`);
  }

  private serve(c: Socket): void {
    let buf = '';
    c.setEncoding('utf8');
    c.on('error', () => c.destroy());
    c.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: RpcRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as RpcRequest;
      } catch {
        c.destroy();
        return;
      }
      this.handle(req).then(
        (reply) => {
          c.end(`${JSON.stringify(reply)}\n`);
          if (req.op === 'stop' && !reply.down) void this.shutdown();
        },
        (e: unknown) => {
          this.log('error', `rpc ${req.op} crashed: ${String(e)}`);
          c.end(`${JSON.stringify({ pid: process.pid, name: this.name, out: '', err: `Error: ${String(e)}\n`, code: 1 })}\n`);
        },
      );
    });
  }

  private reply(r: CtlReply): RpcReply {
    return { pid: process.pid, name: this.name, ...r };
  }

  private async handle(req: RpcRequest): Promise<RpcReply> {
    if (this.down || this.stopped || this.faults().nodeDown) return { down: true };
    switch (req.op) {
      case 'ping':
        return this.reply({ out: 'pong\n', err: '', code: 0 });
      case 'stop':
        return this.reply({ out: 'ok\n', err: '', code: 0 });
      case 'ctl': {
        const now = Date.now();
        return this.reply(await runCtl(this, req.args, now, -new Date(now).getTimezoneOffset()));
      }
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.state = 'stopping';
    this.log('notice', 'stopping');
    for (const s of this.sockets) s.destroy();
    const { aedes, mqtt, rpc } = this;
    if (aedes) await new Promise<void>((res) => aedes.close(() => res()));
    await Promise.all([mqtt && new Promise((r) => mqtt.close(r)), rpc && new Promise((r) => rpc.close(r))]);
    if (rpc) {
      // only the daemon that owned the socket removes it (a failed second start must not)
      rmSync(pidPath(this.baseRoot), { force: true });
      rmSync(socketPath(this.baseRoot), { force: true });
    }
  }

  // --- SimNodeApi ------------------------------------------------------------------------------
  runningVsn(): string {
    return this.running;
  }
  status(): InternalStatus {
    return this.state;
  }
  uptimeMs(nowMs: number): number {
    return nowMs - this.uptimeStart;
  }
  faults(): Faults {
    return readFaults(this.baseRoot);
  }
  plugin(): PluginInfo | null {
    const f = this.faults();
    return f.pluginMissing ? null : { vsn: f.pluginVersion, running: !f.pluginStopped };
  }
  catalog(): readonly CatalogEntry[] {
    const f = this.faults();
    if (f.pluginVersion === '1.0.0') return []; // plugin 1.0.0 ships no hop (§1.6)
    const c = readState(this.baseRoot).catalog;
    // list-supported-paths prints in reverse glob order (a fold that prepends)
    return (f.unsupportedPath ? c.filter((e) => e.from !== this.running) : c).slice().reverse();
  }
  logs(): readonly LogRow[] {
    return readState(this.baseRoot).logs;
  }
  clearLogs(): void {
    writeState(this.baseRoot, { ...readState(this.baseRoot), logs: [] });
  }
  marker(): string | null {
    try {
      return readFileSync(join(this.bootRoot, 'relup', 'current'), 'utf8').trim();
    } catch {
      return null;
    }
  }
  clientCount(): number {
    return this.aedes?.connectedClients ?? 0;
  }
  stats(): Record<string, number> {
    const n = this.clientCount();
    const topics = new Set<string>();
    let subs = 0;
    for (const s of this.subs.values()) {
      subs += s.size;
      for (const t of s) topics.add(t);
    }
    const out: Record<string, number> = {};
    const set = (k: string, v: number, max = v): void => {
      out[`${k}.count`] = v;
      out[`${k}.max`] = Math.max(v, max);
    };
    for (const k of ['connections', 'live_connections', 'channels', 'sessions', 'cluster_sessions']) set(k, n, this.maxConns);
    set('subscriptions', subs);
    set('suboptions', subs);
    set('subscribers', subs);
    set('topics', topics.size);
    set('routes', topics.size);
    return out;
  }
  async cluster(): Promise<{ running: string[]; stopped: string[] }> {
    if (!this.cfg.clusterFile) return { running: [this.name], stopped: [] };
    let members: ClusterMember[];
    try {
      members = (JSON.parse(readFileSync(this.cfg.clusterFile, 'utf8')) as { nodes: ClusterMember[] }).nodes;
    } catch {
      return { running: [this.name], stopped: [] };
    }
    const running = [this.name];
    const stopped: string[] = [];
    await Promise.all(
      members
        .filter((m) => m.name !== this.name)
        .map(async (m) => {
          const r = await rpcCall(socketPath(m.baseRoot), { op: 'ping' }, PEER_PING_TIMEOUT_MS);
          (r && !r.down ? running : stopped).push(m.name);
        }),
    );
    return { running, stopped };
  }
  evacuation(): EvacuationView {
    return this.evac;
  }
  startEvacuation(waitHealthCheck: number, redirectTo: string): void {
    this.evac = { active: true, initialConnected: this.clientCount(), redirectTo, waitHealthCheck };
    this.log('notice', `evacuation started, redirect to "${redirectTo}"`);
    this.dropClients();
  }
  stopEvacuation(): void {
    this.evac = { ...this.evac, active: false };
  }

  private dropClients(): void {
    for (const s of this.sockets) s.destroy();
  }

  upgrade(tarball: string, force: boolean): Promise<CtlReply> {
    // one gen_server: a second upgrade queues behind the first (§1.4)
    const run = this.queue.then(() => this.doUpgrade(tarball, force));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private appendRow(row: LogRow): void {
    const s = readState(this.baseRoot);
    writeState(this.baseRoot, { ...s, logs: [...s.logs, row] });
  }
  private finishRow(startedAt: number, target: string | null, result: string): void {
    const s = readState(this.baseRoot);
    const logs = s.logs.map((r) => (r.startedAt === startedAt ? { ...r, finishedAt: Date.now(), target, status: 'finished' as const, result } : r));
    writeState(this.baseRoot, { ...s, logs });
  }

  private async doUpgrade(tarball: string, force: boolean): Promise<CtlReply> {
    const f = this.faults();
    const from = this.running;
    const last = readState(this.baseRoot).logs.at(-1);
    const startedAt = Math.max(Date.now(), (last?.startedAt ?? 0) + 1); // ordered_set key: unique ms
    this.appendRow({ startedAt, finishedAt: null, from, target: null, status: 'in-progress', result: '<<>>' });
    this.log('notice', `msg: got_upgrade_request, tag: RELUP, tarball: ${tarball}`);
    const p = this.plugin();
    try {
      const { target } = await checkAndUnpack(
        {
          baseRoot: this.baseRoot,
          bootRoot: this.bootRoot,
          runningVsn: from,
          pluginVsn: p?.vsn ?? f.pluginVersion,
          catalog: this.catalog(),
          faults: f,
          tmpDir: process.env.TMPDIR || process.env.TEMP || process.env.TMP || '/tmp',
        },
        tarball,
        force,
      );
      this.log('notice', `msg: perform_upgrade, tag: RELUP, from: ${from}, target: ${target}`);
      await writeTroubleshootFile(this.baseRoot, Date.now(), from, target);
      if (f.slowUpgradeSeconds > 0) await new Promise((r) => setTimeout(r, f.slowUpgradeSeconds * 1000));
      if (f.crashDuringCodeChange) {
        // uncaught exception in code_changes → restart_vm → init:restart() on the old tree. The
        // log row stays 'in-progress'; the CLI's RPC dies with the VM (§1.4 VM-restart path).
        this.log('error', 'msg: restart_vm, tag: RELUP');
        await this.vmRestart();
        return { out: rpcFailedNodedown(this.name), err: '', code: 1 };
      }
      if (f.dropConnectionsOnUpgrade) this.dropClients();
      try {
        await writeFile(join(this.bootRoot, 'relup', 'current'), target); // no newline
      } catch (e) {
        const reason = amap({ err_type: atom('exception'), reason: tuple([atom('error'), bin(String(e))]), stage: atom('permanent_upgrade') });
        this.finishRow(startedAt, target, failureResult(reason));
        return { out: upgradeFailed(reason), err: '', code: 0 };
      }
      this.running = target; // emqx_release reloaded first: status/broker show the target at once
      this.finishRow(startedAt, target, 'success');
      this.log('notice', `msg: upgrade_complete, tag: RELUP, target: ${target}`);
      if (f.notRunningAfterUpgrade) {
        this.state = 'stopping';
        setTimeout(() => void this.shutdown(), EXIT_AFTER_UPGRADE_MS);
      }
      return { out: upgradeComplete, err: '', code: 0 };
    } catch (e) {
      const reason =
        e instanceof RelupFailure
          ? e.reason
          : amap({ err_type: atom('exception'), reason: tuple([atom('error'), bin(String(e))]), stacktrace: list([]), stage: atom('check_and_unpack') });
      this.log('warning', `msg: check_upgrade_failed, tag: RELUP, reason: ${failureResult(reason)}`);
      this.finishRow(startedAt, e instanceof RelupFailure ? e.target : null, failureResult(reason));
      return { out: upgradeFailed(reason), err: '', code: 0 };
    }
  }

  private async vmRestart(): Promise<void> {
    this.down = true;
    this.dropClients();
    this.subs.clear();
    await new Promise((r) => setTimeout(r, VM_RESTART_MS));
    this.running = this.bootVsn;
    this.uptimeStart = Date.now();
    this.maxConns = 0;
    this.evac = { active: false, initialConnected: 0, redirectTo: '', waitHealthCheck: 0 };
    this.down = false;
  }
}

/** Entry of the daemon process (`emqxCli.js __daemon`). */
export async function runDaemon(runnerRoot: string, baseRoot: string): Promise<void> {
  const cfg = readNodeConfig(baseRoot);
  const node = new SimNode(cfg, runnerRoot, baseRoot, readRelVsn(runnerRoot));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void node.shutdown());
  try {
    await node.boot();
  } catch (e) {
    await node.shutdown(); // aedes' timers would otherwise keep a half-booted daemon alive
    throw e;
  }
}

