// `emqx ctl …` dispatch of a simulated node: argument forms and exit codes exactly as the real
// emqx_ctl + nodetool produce them (facts §1.2, §1.3, §3). The node is behind the SimNodeApi
// interface; this file decides what to print.
import type { Faults } from './faults.js';
import {
  ctlHelp,
  formatBroker,
  formatBrokerStats,
  formatClusterStatus,
  formatClusterStatusJson,
  formatLogs,
  formatPluginsList,
  formatRelupStatus,
  formatStatus,
  listSupportedPaths,
  relupUsage,
  type InternalStatus,
  type PluginInfo,
} from './outputs.js';
import {
  evictionStatus,
  formatGlobalStatus,
  formatNodeStatus,
  parseRebalanceStart,
  REBALANCE_TEXT,
  REBALANCE_USAGE,
  type EvacOptions,
  type EvacView,
} from './rebalance.js';
import type { CatalogEntry, LogRow } from './state.js';

export interface CtlReply {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

/**
 * Where the node is in its boot (facts A5): the emqx_ctl command table does not exist yet
 * (`Command table is initializing.`), exists but is empty (`No commands available.`), has the core
 * commands but not yet `relup` (plugins start in post_boot), or is complete.
 */
export type BootPhase = 'initializing' | 'empty' | 'norelup' | 'ready';

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
  bootPhase(nowMs: number): BootPhase;
  /** This node's evacuation as node-status shows it, or null when disabled. */
  evacuation(nowMs: number): EvacView | null;
  /** Node names that exist as atoms here, and those available as recipients (running, agent disabled). */
  rebalanceNodes(): Promise<{ existing: Set<string>; available: Set<string> }>;
  startEvacuation(opts: EvacOptions, nowMs: number): void;
  stopEvacuation(): void;
  /** node-status of another cluster member: its output, or null when the RPC fails (nodedown). */
  peerNodeStatus(node: string): Promise<string | null>;
}

const ok = (out: string): CtlReply => ({ out, err: '', code: 0 });
/** A command whose function returned a list (list comprehension): nodetool halts 1 (§1.3). */
const listResult = (out: string): CtlReply => ({ out, err: '', code: 1 });

const INITIALIZING = 'Command table is initializing.\n';
const NO_COMMANDS = 'No commands available.\n';

export async function runCtl(
  node: SimNodeApi,
  args: readonly string[],
  nowMs: number,
  tzOffsetMin: number,
): Promise<CtlReply> {
  const f = node.faults();
  const p = node.plugin();
  const phase = node.bootPhase(nowMs);
  const [cmd, ...rest] = args;
  // emqx_ctl:run_command: `help`/no args → help() returns ok (exit 0); any other command looks up a
  // table that is not there yet → help() printed, {error, _} → exit 1 (facts A5).
  const isHelp = cmd === undefined || (cmd === 'help' && rest.length === 0);
  if (phase === 'initializing') return { out: INITIALIZING, err: '', code: isHelp ? 0 : 1 };
  if (phase === 'empty') return { out: NO_COMMANDS, err: '', code: isHelp ? 0 : 1 };
  const relupRegistered = p !== null && p.running && phase === 'ready';
  const help = (code: number): CtlReply => ({
    out: ctlHelp(relupRegistered, p?.vsn ?? f.pluginVersion),
    err: '',
    code,
  });
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
        return ok(
          rest.length === 1 ? formatClusterStatus(c.running, c.stopped) : formatClusterStatusJson(c.running, c.stopped),
        );
      }
      break;
    case 'plugins':
      if (rest.length === 1 && rest[0] === 'list') return ok(formatPluginsList(p));
      break;
    case 'relup':
      if (!relupRegistered) return help(1); // not registered: emqx_ctl prints help, {error, cmd_not_found}
      return relup(node, rest, p.vsn, tzOffsetMin);
    case 'rebalance':
      return rebalance(node, rest, nowMs);
    case 'eviction':
      if (rest.length === 1 && rest[0] === 'status') return ok(evictionStatus(node.evacuation(nowMs) !== null));
      break;
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

// emqx_node_rebalance_cli (facts A1): `start` and `stop` return true/false, so nodetool exits 1
// on both, success included; the texts are exact. Purge and coordinator rebalance are not simulated.
async function rebalance(node: SimNodeApi, a: readonly string[], nowMs: number): Promise<CtlReply> {
  const fail1 = (out: string): CtlReply => ({ out, err: '', code: 1 });
  const [sub, ...rest] = a;
  if (sub === 'start') {
    const { existing, available } = await node.rebalanceNodes();
    const r = parseRebalanceStart(rest, existing, available);
    if (r.kind === 'error') return fail1(REBALANCE_TEXT.startError(r.message));
    if (r.kind === 'unsupported') return fail1(REBALANCE_TEXT.startError('{not_simulated,purge_or_rebalance}'));
    if (node.evacuation(nowMs) !== null) return fail1(REBALANCE_TEXT.alreadyEnabled);
    node.startEvacuation(r.opts, nowMs);
    return fail1(REBALANCE_TEXT.started);
  }
  if (sub === 'stop' && rest.length === 0) {
    if (node.evacuation(nowMs) === null) return fail1(REBALANCE_TEXT.alreadyDisabled);
    node.stopEvacuation();
    return fail1(REBALANCE_TEXT.stopped);
  }
  if (sub === 'node-status' && rest.length === 0) return ok(formatNodeStatus(node.evacuation(nowMs)));
  if (sub === 'node-status' && rest.length === 1) {
    if (rest[0] === node.name) return ok(formatNodeStatus(node.evacuation(nowMs)));
    const { existing } = await node.rebalanceNodes();
    if (!existing.has(rest[0])) return fail1(REBALANCE_TEXT.invalidNode);
    const out = await node.peerNodeStatus(rest[0]);
    return ok(out ?? REBALANCE_TEXT.nodedown);
  }
  if (sub === 'status' && rest.length === 0) {
    // [sim] only this node's evacuation is listed (peers' are not queried)
    const v = node.evacuation(nowMs);
    return ok(formatGlobalStatus(v ? [[node.name, v]] : []));
  }
  return ok(REBALANCE_USAGE);
}
