// `emqx ctl …` dispatch of a simulated node: argument forms and exit codes exactly as the real
// emqx_ctl + nodetool produce them (facts §1.2, §1.3, §3). The node is behind the SimNodeApi
// interface; this file decides what to print.
import type { Faults } from './faults.js';
import {
  ctlHelp, formatBroker, formatBrokerStats, formatClusterStatus, formatClusterStatusJson, formatLogs,
  formatPluginsList, formatRelupStatus, formatStatus, listSupportedPaths, relupUsage, type InternalStatus, type PluginInfo,
} from './outputs.js';
import type { CatalogEntry, LogRow } from './state.js';

export interface CtlReply {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

export interface EvacuationView {
  readonly active: boolean;
  readonly initialConnected: number;
  readonly redirectTo: string;
  readonly waitHealthCheck: number;
}

export interface SimNodeApi {
  readonly name: string;
  runningVsn(): string;
  status(): InternalStatus;
  uptimeMs(nowMs: number): number;
  faults(): Faults;
  plugin(): PluginInfo | null;
  catalog(): readonly CatalogEntry[];
  logs(): readonly LogRow[];
  clearLogs(): void;
  /** `relup/current` under the booted root, trimmed, or null. */
  marker(): string | null;
  stats(): Record<string, number>;
  cluster(): Promise<{ running: string[]; stopped: string[] }>;
  upgrade(tarball: string, force: boolean): Promise<CtlReply>;
  evacuation(): EvacuationView;
  startEvacuation(waitHealthCheck: number, redirectTo: string): void;
  stopEvacuation(): void;
  clientCount(): number;
}

const ok = (out: string): CtlReply => ({ out, err: '', code: 0 });
/** A command whose function returned a list (list comprehension): nodetool halts 1 (§1.3). */
const listResult = (out: string): CtlReply => ({ out, err: '', code: 1 });

export async function runCtl(node: SimNodeApi, args: readonly string[], nowMs: number, tzOffsetMin: number): Promise<CtlReply> {
  const f = node.faults();
  const p = node.plugin();
  const relupRegistered = p !== null && p.running;
  const help = (code: number): CtlReply => ({ out: ctlHelp(relupRegistered, p?.vsn ?? f.pluginVersion), err: '', code });
  const [cmd, ...rest] = args;
  switch (cmd) {
    case undefined:
    case 'help':
      return help(0);
    case 'status':
      if (rest.length === 0) return ok(formatStatus(node.name, node.runningVsn(), node.status()));
      break;
    case 'broker':
      if (rest.length === 0) return ok(formatBroker(node.runningVsn(), nowMs, tzOffsetMin, node.uptimeMs(nowMs)));
      if (rest.length === 1 && rest[0] === 'stats') return listResult(formatBrokerStats(node.stats()));
      break;
    case 'cluster':
      if (rest[0] === 'status' && (rest.length === 1 || (rest.length === 2 && rest[1] === '--json'))) {
        const c = await node.cluster();
        return ok(rest.length === 1 ? formatClusterStatus(c.running, c.stopped) : formatClusterStatusJson(c.running, c.stopped));
      }
      break;
    case 'plugins':
      if (rest.length === 1 && rest[0] === 'list') return ok(formatPluginsList(p));
      break;
    case 'relup':
      if (!relupRegistered) return help(1); // not registered: emqx_ctl prints help, {error, cmd_not_found}
      return relup(node, rest, p.vsn, tzOffsetMin);
    case 'rebalance':
      return rebalance(node, rest);
    default:
      return help(1); // unknown command
  }
  // a registered command with bad arguments prints its own usage [guess: the non-relup usages]
  return help(0);
}

async function relup(node: SimNodeApi, a: readonly string[], pluginVsn: string, tz: number): Promise<CtlReply> {
  const usage = ok(relupUsage(pluginVsn));
  const [sub, ...rest] = a;
  if (sub === 'upgrade') {
    if (rest.length === 1) return node.upgrade(rest[0], false);
    // only the exact `upgrade <path> --force` form; plugin 1.0.0 has no --force clause
    if (rest.length === 2 && rest[1] === '--force' && pluginVsn !== '1.0.0') return node.upgrade(rest[0], true);
    return usage;
  }
  if (rest.length > 0) return usage;
  switch (sub) {
    case 'list-supported-paths': {
      const c = node.catalog();
      return c.length === 0 ? ok(listSupportedPaths(c)) : listResult(listSupportedPaths(c));
    }
    case 'status': {
      const logs = node.logs();
      return ok(formatRelupStatus({ marker: node.marker(), lastRowInProgress: logs.at(-1)?.status === 'in-progress' }));
    }
    case 'logs':
      return ok(formatLogs(node.logs(), tz));
    case 'logs-clear':
      node.clearLogs();
      return ok('cleared all upgrade logs\n');
    default:
      return usage;
  }
}

// emqx_node_rebalance_cli [guess: texts not in the facts file; shapes from emqx 5.x sources as
// remembered]. Evacuation drops this node's MQTT clients (redirect is advisory) and refuses new
// connections until `rebalance stop`.
function rebalance(node: SimNodeApi, a: readonly string[]): CtlReply {
  const [sub, ...rest] = a;
  if (sub === 'start' && rest.includes('--evacuation')) {
    let wait = 0;
    let redirect = '';
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '--wait-health-check') wait = Number(rest[++i] ?? '0') || 0;
      else if (rest[i] === '--redirect-to') redirect = rest[++i] ?? '';
    }
    if (node.evacuation().active) return { out: 'Rebalance(evacuation) start error: already_started\n', err: '', code: 1 };
    node.startEvacuation(wait, redirect);
    return ok('Rebalance(evacuation) started\n');
  }
  if (sub === 'node-status' && rest.length === 0) {
    const e = node.evacuation();
    if (!e.active) return ok('Rebalance status: disabled\n');
    const current = node.clientCount();
    return ok(
      [
        'Rebalance type: evacuation',
        `Rebalance state: ${current === 0 ? 'prohibiting' : 'evicting_conns'}`,
        'Connection eviction rate: 500 connections/second',
        'Session eviction rate: 500 sessions/second',
        'Connection goal: 0',
        'Session goal: 0',
        `Session recipient nodes: []`,
        ...(e.redirectTo ? [`Redirect to: ${e.redirectTo}`] : []),
        'Channel statistics:',
        `  current_connected: ${current}`,
        `  current_sessions: ${current}`,
        `  initial_connected: ${e.initialConnected}`,
        `  initial_sessions: ${e.initialConnected}`,
        '',
      ].join('\n'),
    );
  }
  if (sub === 'stop' && rest.length === 0) {
    if (!node.evacuation().active) return { out: 'Rebalance(evacuation) stop error: not_started\n', err: '', code: 1 };
    node.stopEvacuation();
    return ok('Rebalance(evacuation) stopped\n');
  }
  return ok(
    'rebalance start --evacuation [--wait-health-check Secs] [--redirect-to "Host1:Port1 Host2:Port2 ..."] # Start current node evacuation\n' +
      'rebalance node-status # Get current node rebalance status\n' +
      'rebalance stop # Stop node rebalance\n',
  );
}
