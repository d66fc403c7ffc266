// The long-running process of one simulated EMQX node ("the VM"): started detached by
// `bin/emqx start`, stopped by `bin/emqx stop` (or SIGTERM). It holds what a running node holds in
// memory — running/boot version, uptime, MQTT clients on a real aedes listener — and answers the
// CLI over a unix socket. Persistent things (relup log rows, catalog) live in .sim/state.json; the
// evacuation (facts A1) persists in `<data_dir>/.evacuation` and is restored at every boot.
import {
  accessSync,
  constants as fsConstants,
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { runCtl, type BootPhase, type CtlReply, type SimNodeApi } from './ctl.js';
import { amap, atom, bin, list, str, tuple, writeTerm, type ETerm } from './erlTerm.js';
import { confDataDir } from './bootConfig.js';
import { readFaults, type Faults } from './faults.js';
import { evacuationFile, nodeConfigPath, pidPath, simDir, socketPath } from './layout.js';
import { readNodeConfig, type ClusterMember, type SimNodeConfig } from './nodeConfig.js';
import {
  failureResult,
  rpcFailedNodedown,
  upgradeComplete,
  upgradeFailed,
  type InternalStatus,
  type PluginInfo,
} from './outputs.js';
import {
  EVAC_DEFAULTS,
  evacuationFileText,
  parseEvacuationFile,
  REBALANCE_TEXT,
  type EvacOptions,
  type EvacPhase,
  type EvacView,
} from './rebalance.js';
import { checkAndUnpack, NonMapFailure, RelupFailure, VmOutOfMemory, writeTroubleshootFile } from './relup.js';
import { rpcCall, type RpcReply, type RpcRequest } from './rpc.js';
import { readState, writeState, type CatalogEntry, type LogRow } from './state.js';

/** How long a VM restart (init:restart after a crash in code_changes) keeps the node unreachable. */
const VM_RESTART_MS = 1000;
/** notRunningAfterUpgrade: the node shows `stopping`, then exits this much later. */
const EXIT_AFTER_UPGRADE_MS = 1500;
const PEER_PING_TIMEOUT_MS = 1000;
/** How often the evacuation advances (its eviction tick is 1 s × evacuationTimeScale). */
const EVAC_TICK_MS = 100;

interface Evacuation {
  readonly opts: EvacOptions;
  phase: EvacPhase;
  since: number;
  lastEvict: number;
  initialConnected: number;
  initialSessions: number;
  recipients: string[];
}

/** emqx_relup_file_utils: the first writable of the VM's $TMPDIR, $TEMP, $TMP, then /tmp, then the cwd (facts A4). */
function relupTmpDir(cwd: string): string {
  const candidates = [process.env.TMPDIR, process.env.TEMP, process.env.TMP, '/tmp', cwd];
  for (const d of candidates) {
    if (!d) continue;
    try {
      accessSync(d, fsConstants.W_OK);
      return d;
    } catch {
      // not writable (or absent): the next one
    }
  }
  return cwd;
}

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
  private evac: Evacuation | null = null;
  private evacTimer: NodeJS.Timeout | undefined;
  /** When the apps (re)started: the ctl boot windows count from here. */
  private bootedAt = Date.now();
  private crashAfterReply = false;
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
    readonly dataDir: string,
    readonly logDir: string,
  ) {
    this.name = cfg.name;
    this.running = bootVsn;
  }

  log(level: string, msg: string): void {
    try {
      appendFileSync(join(this.logDir, 'emqx.log'), `${new Date().toISOString()} [${level}] ${msg}\n`);
    } catch {
      // the log dir may be gone in a test teardown; logging must never take the node down
    }
  }

  async boot(): Promise<void> {
    const aedes = await Aedes.createBroker({
      preConnect: (_c, _p, cb) => cb(null, !(this.down || this.state === 'stopping')),
      // an evacuating node's eviction agent refuses CONNECT: MQTT 3.x CONNACK 3 (server unavailable)
      authenticate: (_c, _u, _p, cb) => {
        if (this.refusesClients()) cb(Object.assign(new Error('Server unavailable'), { returnCode: 3 }), false);
        else cb(null, true);
      },
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
    writeFileSync(
      join(simDir(this.baseRoot), 'runtime.json'),
      JSON.stringify({
        pid: process.pid,
        mqttHost: this.cfg.mqttHost,
        mqttPort: this.mqttPort,
        bootRoot: this.bootRoot,
        socket: sock,
      }),
    );
    this.state = 'started';
    this.bootedAt = Date.now();
    this.restoreEvacuation();
    this.evacTimer = setInterval(() => this.evacTick(), EVAC_TICK_MS);
    this.log(
      'notice',
      `EMQX Enterprise ${this.bootVsn} started from ${this.bootRoot}, data_dir ${this.dataDir}, mqtt ${this.cfg.mqttHost}:${this.mqttPort}`,
    );
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
          c.end(req.op === 'ctl' && req.raw ? rawReply(reply) : `${JSON.stringify(reply)}\n`);
          if (req.op === 'stop' && !reply.down) void this.shutdown();
          if (this.crashAfterReply) setTimeout(() => process.exit(1), 50); // the VM is gone
        },
        (e: unknown) => {
          this.log('error', `rpc ${req.op} crashed: ${String(e)}`);
          c.end(
            `${JSON.stringify({ pid: process.pid, name: this.name, out: '', err: `Error: ${String(e)}\n`, code: 1 })}\n`,
          );
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
      case 'eval':
        return this.reply(this.evalExpr(req.expr));
    }
  }

  /**
   * `emqx eval '<Expr>'` (nodetool prints `~p` of the value): only the read-only probes of facts A3/A6.
   * emqx:data_dir() is the configured value (relative "data" on a tarball install).
   */
  private evalExpr(expr: string): CtlReply {
    const e = expr.replace(/\s+/g, '').replace(/\.$/, '');
    const p = (t: ETerm): CtlReply => ({ out: `${writeTerm(t)}\n`, err: '', code: 0 });
    if (e === 'emqx:data_dir()') return p(str(this.configuredDataDir()));
    if (e === 'code:root_dir()') return p(str(this.bootRoot));
    if (e === 'emqx_release:version()') return p(str(this.running));
    const env = /^os:getenv\("([^"]+)"\)$/.exec(e);
    if (env) return p(process.env[env[1]] === undefined ? atom('false') : str(process.env[env[1]] ?? ''));
    return { out: '', err: `[emqx-rollout simulator] eval of ${JSON.stringify(expr)} is not simulated\n`, code: 1 };
  }
  private configuredDataDir(): string {
    if (process.env.EMQX_NODE__DATA_DIR) return process.env.EMQX_NODE__DATA_DIR;
    try {
      return (
        confDataDir(readFileSync(join(process.env.EMQX_ETC_DIR || join(this.baseRoot, 'etc'), 'emqx.conf'), 'utf8')) ??
        'data'
      );
    } catch {
      return this.dataDir;
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.state = 'stopping';
    if (this.evacTimer) clearInterval(this.evacTimer);
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
    for (const k of ['connections', 'live_connections', 'channels', 'sessions', 'cluster_sessions'])
      set(k, n, this.maxConns);
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
  bootPhase(nowMs: number): BootPhase {
    const f = this.faults();
    const t = nowMs - this.bootedAt;
    if (t < f.bootInitializingMs) return 'initializing';
    if (t < f.bootInitializingMs + f.bootNoCommandsMs) return 'empty';
    if (t < f.bootInitializingMs + f.bootNoCommandsMs + f.bootRelupMissingMs) return 'norelup';
    return 'ready';
  }

  // --- evacuation (emqx_node_rebalance_evacuation + emqx_eviction_agent) -----------------------
  private refusesClients(): boolean {
    return this.evac !== null && this.evac.phase !== 'waiting_health_check';
  }
  evacuation(_nowMs: number): EvacView | null {
    const e = this.evac;
    if (!e) return null;
    const n = this.clientCount();
    return {
      phase: e.phase,
      opts: e.opts,
      recipients: e.opts.migrateTo ?? e.recipients,
      initialConnected: e.initialConnected,
      initialSessions: e.initialSessions,
      currentConnected: n,
      currentSessions: n,
    };
  }
  private members(): ClusterMember[] {
    if (!this.cfg.clusterFile) return [];
    try {
      return (JSON.parse(readFileSync(this.cfg.clusterFile, 'utf8')) as { nodes: ClusterMember[] }).nodes;
    } catch {
      return [];
    }
  }
  async rebalanceNodes(): Promise<{ existing: Set<string>; available: Set<string> }> {
    const peers = this.members().filter((m) => m.name !== this.name);
    const existing = new Set([this.name, ...peers.map((m) => m.name)]);
    const available = new Set<string>();
    await Promise.all(
      peers.map(async (m) => {
        const r = await rpcCall(
          socketPath(m.baseRoot),
          { op: 'ctl', args: ['eviction', 'status'] },
          PEER_PING_TIMEOUT_MS,
        );
        if (r && !r.down && /disabled/.test(r.out)) available.add(m.name);
      }),
    );
    return { existing, available };
  }
  async peerNodeStatus(node: string): Promise<string | null> {
    const m = this.members().find((x) => x.name === node);
    if (!m) return null;
    const r = await rpcCall(
      socketPath(m.baseRoot),
      { op: 'ctl', args: ['rebalance', 'node-status'] },
      PEER_PING_TIMEOUT_MS,
    );
    return r && !r.down ? r.out : null;
  }
  private refreshRecipients(): void {
    void this.rebalanceNodes().then(({ available }) => {
      if (this.evac) this.evac.recipients = [...available].sort();
    });
  }
  startEvacuation(opts: EvacOptions, nowMs: number): void {
    const n = this.clientCount();
    this.evac = {
      opts,
      phase: 'waiting_health_check',
      since: nowMs,
      lastEvict: 0,
      initialConnected: n,
      initialSessions: n,
      recipients: [],
    };
    this.refreshRecipients();
    // emqx_node_rebalance_evacuation_persist: written at start, deleted by stop
    writeFileSync(evacuationFile(this.dataDir), evacuationFileText(opts));
    this.log('notice', `msg: node_evacuation_started, opts: ${JSON.stringify(opts)}`);
    this.evacTick();
  }
  stopEvacuation(): void {
    this.evac = null;
    rmSync(evacuationFile(this.dataDir), { force: true });
    this.log('notice', 'msg: node_evacuation_stopped');
  }
  /** At app start: `<data_dir>/.evacuation` → straight to evicting_conns, no health-check wait. */
  private restoreEvacuation(): void {
    let text: string;
    try {
      text = readFileSync(evacuationFile(this.dataDir), 'utf8');
    } catch {
      return;
    }
    const opts = parseEvacuationFile(text) ?? EVAC_DEFAULTS;
    this.log('warning', 'msg: restoring_evacuation_state');
    process.stderr.write(REBALANCE_TEXT.restoring); // the VM's stderr (this daemon's log), never a ctl caller
    const n = this.clientCount();
    this.evac = {
      opts,
      phase: 'evicting_conns',
      since: Date.now(),
      lastEvict: 0,
      initialConnected: n,
      initialSessions: n,
      recipients: [],
    };
    this.refreshRecipients();
  }
  private evacTick(): void {
    const e = this.evac;
    if (!e || this.down || this.stopped) return;
    const scale = this.faults().evacuationTimeScale > 0 ? this.faults().evacuationTimeScale : 1;
    const now = Date.now();
    const to = (p: EvacPhase): void => {
      e.phase = p;
      e.since = now;
    };
    switch (e.phase) {
      case 'waiting_health_check':
        if (now - e.since >= e.opts.waitHealthCheck * 1000 * scale) to('evicting_conns');
        break;
      case 'evicting_conns':
        if (now - e.lastEvict >= 1000 * scale) {
          e.lastEvict = now;
          let left = e.opts.connEvictRate;
          for (const s of this.sockets) {
            if (left-- <= 0) break;
            s.destroy();
          }
        }
        if (this.sockets.size === 0) to('waiting_takeover');
        break;
      case 'waiting_takeover':
        if (now - e.since >= e.opts.waitTakeover * 1000 * scale) to('evicting_sessions');
        break;
      case 'evicting_sessions':
        // the simulator's sessions end with their connections: nothing left to hand over
        to('prohibiting');
        break;
      case 'prohibiting':
        break;
    }
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
    const logs = s.logs.map((r) =>
      r.startedAt === startedAt ? { ...r, finishedAt: Date.now(), target, status: 'finished' as const, result } : r,
    );
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
          dataDir: this.dataDir,
          bootRoot: this.bootRoot,
          runningVsn: from,
          pluginVsn: p?.vsn ?? f.pluginVersion,
          catalog: this.catalog(),
          faults: f,
          tmpDir: relupTmpDir(this.baseRoot),
          otherUserReads: this.cfg.layout === 'pkg',
        },
        tarball,
        force,
      );
      this.log('notice', `msg: perform_upgrade, tag: RELUP, from: ${from}, target: ${target}`);
      await writeTroubleshootFile(this.baseRoot, Date.now(), from, target);
      if (f.slowUpgradeSeconds > 0) await new Promise((r) => setTimeout(r, f.slowUpgradeSeconds * 1000));
      if (f.crashDuringCodeChange) {
        // uncaught exception in code_changes → restart_vm → init:restart() on the old tree. The
        // log row stays 'in-progress'; the CLI's RPC dies with the VM (§1.4 VM-restart path, A2 case C):
        // `RPC to … failed: nodedown` or nothing, exit 1. Same OS process: uptime and pid stay (A6).
        this.log('error', 'msg: restart_vm, tag: RELUP');
        this.log('notice', 'msg: upgrade_finished, tag: RELUP');
        await this.vmRestart();
        return { out: f.vmRestartEmptyOutput ? '' : rpcFailedNodedown(this.name), err: '', code: 1 };
      }
      if (f.dropConnectionsOnUpgrade) this.dropClients();
      this.running = target; // emqx_release reloaded first: status/broker show the target at once
      try {
        if (f.markerWriteFails) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
        await writeFile(join(this.bootRoot, 'relup', 'current'), target); // no newline
      } catch (e) {
        // case A of facts A2: `{error, enospc}` (any posix atom) is not a map → badmap in the main
        // module: empty output, exit 1; new code live, no marker, the row stays in-progress.
        const posix = ((e as NodeJS.ErrnoException).code ?? 'enospc').toLowerCase();
        this.log('error', `msg: permanent_upgrade_failed, tag: RELUP, reason: ${posix}`);
        this.log('error', 'msg: ctl_command_crashed, reason: {badmap,' + posix + '}');
        return { out: '', err: '', code: 1 };
      }
      this.finishRow(startedAt, target, 'success');
      this.log('notice', `msg: upgrade_complete, tag: RELUP, target: ${target}`);
      if (f.notRunningAfterUpgrade) {
        this.state = 'stopping';
        setTimeout(() => void this.shutdown(), EXIT_AFTER_UPGRADE_MS);
      }
      return { out: upgradeComplete, err: '', code: 0 };
    } catch (e) {
      if (e instanceof NonMapFailure) {
        // case B of facts A2: sh_aborted → badmap → empty output, exit 1; the row stays in-progress
        this.log(
          'error',
          `msg: sh_failed, tag: RELUP, details: ${(e as NonMapFailure & { details?: string }).details ?? ''}`,
        );
        this.log('warning', `msg: check_upgrade_failed, tag: RELUP, reason: ${e.reason}`);
        this.log('error', `msg: ctl_command_crashed, reason: {badmap,${e.reason}}`);
        return { out: '', err: '', code: 1 };
      }
      if (e instanceof VmOutOfMemory) {
        // the whole VM goes down; nodetool's RPC sees nodedown (no systemd restart in the simulator)
        process.stderr.write(`${e.message}\n\nCrash dump is being written to: erl_crash.dump...done\n`);
        this.log('critical', e.message);
        this.down = true;
        this.crashAfterReply = true;
        return { out: rpcFailedNodedown(this.name), err: '', code: 1 };
      }
      const reason =
        e instanceof RelupFailure
          ? e.reason
          : amap({
              err_type: atom('exception'),
              reason: tuple([atom('error'), bin(String(e))]),
              stacktrace: list([]),
              stage: atom('check_and_unpack'),
            });
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
    // init:restart() restarts every application inside the same emulator: uptime (wall_clock since
    // the emulator started) and the OS pid stay (facts A6); the apps boot again, so the ctl boot
    // windows start over and a persisted evacuation is restored.
    this.running = this.bootVsn;
    this.maxConns = 0;
    this.evac = null;
    this.bootedAt = Date.now();
    this.restoreEvacuation();
    this.down = false;
  }
}

/** Entry of the daemon process (`emqxCli.js __daemon`). */
export async function runDaemon(runnerRoot: string, baseRoot: string, dataDir: string, logDir: string): Promise<void> {
  const cfg = readNodeConfig(baseRoot);
  mkdirSync(dataDir, { recursive: true });
  const node = new SimNode(cfg, runnerRoot, baseRoot, readRelVsn(runnerRoot), dataDir, logDir);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void node.shutdown());
  try {
    await node.boot();
  } catch (e) {
    await node.shutdown(); // aedes' timers would otherwise keep a half-booted daemon alive
    throw e;
  }
}

/**
 * The fast ctl client's framing (wrapperScript.ts FAST_CTL): `R <code> <stdout bytes> <stderr bytes>`
 * then the bytes, or `D` when the node is down (the client then runs the full CLI, which prints the
 * down message).
 */
function rawReply(r: RpcReply): Buffer {
  if (r.down) return Buffer.from('D\n');
  const out = Buffer.from(r.out);
  const err = Buffer.from(r.err);
  return Buffer.concat([Buffer.from(`R ${r.code} ${out.length} ${err.length}\n`), out, err]);
}
