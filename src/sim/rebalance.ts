// `emqx ctl rebalance …` / `emqx ctl eviction status` of a simulated node, as the real
// emqx_node_rebalance_cli prints them (facts A1; apps/emqx_node_rebalance/src/*.erl @ e5.10.4).
// Pure: argument validation, the evacuation phase at a given time, and every text. The daemon
// (nodeDaemon.ts) owns the state, the clock, the MQTT listener and the `<data_dir>/.evacuation` file.
//
// Exit codes: `start` and `stop` return true/false, never `ok`, so nodetool halts 1 on both —
// success included. node-status / status / eviction status / usage exit 0.
import { atom, list, prettyTerm, str, tuple, writeAtom, type ETerm } from './erlTerm.js';
import { jiffyPretty } from './jiffy.js';

export interface EvacOptions {
  /** `--redirect-to`: sent verbatim as MQTT 5 Server-Reference; null = no redirect. */
  readonly serverReference: string | null;
  readonly connEvictRate: number;
  readonly sessEvictRate: number;
  readonly waitTakeover: number;
  readonly waitHealthCheck: number;
  /** `--migrate-to` nodes, or null = every other running node whose agent is disabled. */
  readonly migrateTo: readonly string[] | null;
}

/** include/emqx_node_rebalance.hrl defaults. */
export const EVAC_DEFAULTS: EvacOptions = Object.freeze({
  serverReference: null,
  connEvictRate: 500,
  sessEvictRate: 500,
  waitTakeover: 60,
  waitHealthCheck: 60,
  migrateTo: null,
});

export type EvacPhase =
  'waiting_health_check' | 'evicting_conns' | 'waiting_takeover' | 'evicting_sessions' | 'prohibiting';

export type StartParse =
  | { readonly kind: 'evacuation'; readonly opts: EvacOptions }
  | { readonly kind: 'error'; readonly message: string }
  /** purge / coordinator rebalance: not simulated (this sandbox never uses them). */
  | { readonly kind: 'unsupported' };

const VALUE_FLAGS = new Set([
  '--redirect-to',
  '--migrate-to',
  '--purge-rate',
  '--nodes',
  '--abs-conn-threshold',
  '--rel-conn-threshold',
  '--abs-sess-threshold',
  '--rel-sess-threshold',
  '--conn-evict-rpc-timeout',
  '--sess-evict-rpc-timeout',
  '--wait-health-check',
  '--conn-evict-rate',
  '--wait-takeover',
  '--sess-evict-rate',
]);

/** Erlang string ordering of the collected keys (maps:to_list of a map with string keys). */
const byKey = (a: readonly [string, string | true], b: readonly [string, string | true]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

const termOf = (v: string | true): ETerm => (v === true ? atom('true') : str(v));

/** `string:to_integer(V)` giving `{Int, ""}` with Int > 0. */
function posInt(v: string): number | null {
  const m = /^([+-]?\d+)$/.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 ? n : null;
}

/**
 * cli(["start" | Args]) up to the point where it would start something: collect_args then
 * validate_evacuation (sorted keys, first failure wins). `existingAtoms`: node names that exist as
 * atoms on this node; `available`: of those, the running nodes whose eviction agent is disabled.
 */
export function parseRebalanceStart(
  args: readonly string[],
  existingAtoms: ReadonlySet<string>,
  available: ReadonlySet<string>,
): StartParse {
  const collected = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--evacuation' || a === '--purge') collected.set(a, true);
    else if (VALUE_FLAGS.has(a) && i + 1 < args.length) collected.set(a, args[++i]);
    else {
      return { kind: 'error', message: `unknown arguments: ${prettyTerm(list(args.slice(i).map(str)), 20)}` };
    }
  }
  if (collected.get('--evacuation') !== true) return { kind: 'unsupported' };
  const entries = [...collected.entries()].sort(byKey);
  const o: { -readonly [K in keyof EvacOptions]: EvacOptions[K] } = { ...EVAC_DEFAULTS };
  const ints: Record<string, 'waitHealthCheck' | 'connEvictRate' | 'sessEvictRate' | 'waitTakeover'> = {
    '--wait-health-check': 'waitHealthCheck',
    '--conn-evict-rate': 'connEvictRate',
    '--sess-evict-rate': 'sessEvictRate',
    '--wait-takeover': 'waitTakeover',
  };
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i];
    if (k === '--evacuation') continue;
    if (k in ints && typeof v === 'string') {
      const n = posInt(v);
      if (n === null) return { kind: 'error', message: `invalid ${k} value` };
      o[ints[k]] = n;
    } else if (k === '--redirect-to' && typeof v === 'string') {
      o.serverReference = v;
    } else if (k === '--migrate-to' && typeof v === 'string') {
      const tokens = v.split(/[ ,]+/).filter((t) => t.length > 0);
      const invalid = tokens.filter((t) => !existingAtoms.has(t));
      if (invalid.length > 0) {
        return {
          kind: 'error',
          message: `invalid --migrate-to, invalid nodes: ${prettyTerm(list(invalid.map(str)), 38)}`,
        };
      }
      const avail = tokens.filter((t) => available.has(t));
      if (avail.length === 0) return { kind: 'error', message: 'invalid --migrate-to, no nodes' };
      if (avail.length !== tokens.length) {
        const un = tokens.filter((t) => !available.has(t));
        return {
          kind: 'error',
          message: `invalid --migrate-to, unavailable nodes: ${prettyTerm(list(un.map(atom)), 42)}`,
        };
      }
      o.migrateTo = tokens;
    } else {
      const rest = list(entries.slice(i).map(([kk, vv]) => tuple([str(kk), termOf(vv)])));
      const prefix = 'unknown evacuation arguments: ';
      return { kind: 'error', message: `${prefix}${prettyTerm(rest, prefix.length + 1)}` };
    }
  }
  return { kind: 'evacuation', opts: o };
}

/** What node-status shows of a running evacuation. */
export interface EvacView {
  readonly phase: EvacPhase;
  readonly opts: EvacOptions;
  /** Session recipients (migrate_to, or the nodes computed now). */
  readonly recipients: readonly string[];
  readonly initialConnected: number;
  readonly initialSessions: number;
  readonly currentConnected: number;
  readonly currentSessions: number;
}

/** format_local_status/1 of an evacuation: one line per field, then the channel statistics. */
export function formatEvacFields(v: EvacView): string {
  const recips = prettyTerm(list(v.recipients.map(atom)), 1);
  return (
    `Rebalance state: ${v.phase}\n` +
    `Connection eviction rate: ${v.opts.connEvictRate} connections/second\n` +
    `Session eviction rate: ${v.opts.sessEvictRate} sessions/second\n` +
    'Connection goal: 0\n' +
    'Session goal: 0\n' +
    `Session recipient nodes: ${recips}\n` +
    'Channel statistics:\n' +
    `  current_connected: ${v.currentConnected}\n` +
    `  current_sessions: ${v.currentSessions}\n` +
    `  initial_connected: ${v.initialConnected}\n` +
    `  initial_sessions: ${v.initialSessions}\n`
  );
}

/** `rebalance node-status`: `"Rebalance type: ~p~n~s~n"`, or `Rebalance disabled`. */
export const formatNodeStatus = (v: EvacView | null): string =>
  v === null ? 'Rebalance disabled\n' : `Rebalance type: evacuation\n${formatEvacFields(v)}\n`;

/** `rebalance status`: per evacuating node a 68-dash line, `Node '<n>': evacuation`, the fields. */
export function formatGlobalStatus(evacuating: ReadonlyArray<readonly [node: string, v: EvacView]>): string {
  return evacuating
    .map(([n, v]) => `${'-'.repeat(68)}\nNode ${writeAtom(n)}: evacuation\n${formatEvacFields(v)}`)
    .join('');
}

export const evictionStatus = (enabled: boolean): string => `Eviction status: ${enabled ? 'enabled' : 'disabled'}\n`;

export const REBALANCE_TEXT = {
  started: 'Rebalance(evacuation) started\n',
  alreadyEnabled: 'Rebalance is already enabled\n',
  stopped: 'Rebalance(evacuation) stopped\n',
  alreadyDisabled: 'Rebalance is already disabled\n',
  invalidNode: 'Node status error: invalid node\n',
  nodedown: 'Error detecting rebalance status: {badrpc,nodedown}\n',
  startError: (msg: string): string => `Rebalance start error: ${msg}\n`,
  /** VM stderr at app start when `<data_dir>/.evacuation` exists (never a ctl caller's output). */
  restoring: 'Node evacuation is enabled. The node will not receive connections.\n',
} as const;

/** `emqx ctl rebalance` (usage): emqx_ctl:format_usage/1 of cli.erl@416bc5c:127-175, as rendered in facts A1. */
export const REBALANCE_USAGE = [
  'rebalance start --evacuation \\            # Start current node evacuation with optional',
  '  [--wait-health-check Secs] \\            # server redirect to the specified servers',
  '  [--redirect-to "Host1 Host2 .."] \\      # ',
  '  [--conn-evict-rate CountPerSec] \\       # ',
  '  [--migrate-to "emqx@h.1 emqx@h.2 .."] \\ # ',
  '  [--wait-takeover Secs] \\                # ',
  '  [--sess-evict-rate CountPerSec]         # ',
  'rebalance start \\                         # Start rebalance on the specified nodes',
  '  [--nodes "eqmx@h.1 emqx@h.2 .."] \\      # using the current node as the coordinator',
  '  [--wait-health-check Secs] \\            # ',
  '  [--conn-evict-rate ConnPerSec] \\        # ',
  '  [--conn-evict-rpc-timeout Secs] \\       # ',
  '  [--abs-conn-threshold Count] \\          # ',
  '  [--rel-conn-threshold Fraction] \\       # ',
  '  [--wait-takeover Secs] \\                # ',
  '  [--sess-evict-rate CountPerSec] \\       # ',
  '  [--sess-evict-rpc-timeout Secs] \\       # ',
  '  [--abs-sess-threshold Count] \\          # ',
  '  [--rel-sess-threshold Fraction]         # ',
  'rebalance node-status                     # Get current node rebalance status',
  'rebalance node-status "emqx@h.1"          # Get remote node rebalance status',
  'rebalance status                          # Get statuses of all current rebalance/evacuation',
  '                                          # processes across the cluster',
  'rebalance stop                            # Stop node rebalance',
  '',
].join('\n');

/** The `<data_dir>/.evacuation` file (emqx_node_rebalance_evacuation_persist): pretty JSON of four keys. */
export function evacuationFileText(o: EvacOptions): string {
  return jiffyPretty({
    server_reference: o.serverReference,
    conn_evict_rate: o.connEvictRate,
    sess_evict_rate: o.sessEvictRate,
    wait_takeover: o.waitTakeover,
  });
}

/** Reads it back; a missing key takes its default (migrate_to and wait_health_check are not kept). */
export function parseEvacuationFile(text: string): EvacOptions | null {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const n = (k: string, d: number): number => (typeof j[k] === 'number' && j[k] > 0 ? j[k] : d);
    return {
      ...EVAC_DEFAULTS,
      serverReference: typeof j.server_reference === 'string' ? j.server_reference : null,
      connEvictRate: n('conn_evict_rate', EVAC_DEFAULTS.connEvictRate),
      sessEvictRate: n('sess_evict_rate', EVAC_DEFAULTS.sessEvictRate),
      waitTakeover: n('wait_takeover', EVAC_DEFAULTS.waitTakeover),
    };
  } catch {
    return null;
  }
}
