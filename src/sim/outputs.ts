// The exact text a real EMQX 5.10 node prints (reference/emqx-cli-facts.md). Pure functions: every
// input — clock included — is a parameter.
import { amap, atom, bin, list, prettyTerm, str, writeAtom, writeTerm, type ETerm } from './erlTerm.js';
import { jiffyPretty, type Json } from './jiffy.js';
import { REBALANCE_USAGE } from './rebalance.js';
import type { CatalogEntry, LogRow } from './state.js';

// ---------------------------------------------------------------------------------------------
// emqx_ctl:format_usage/1: column width = longest command + 1, then `# `; a multi-line
// description continues under the `#` column; empty description lines are dropped.
export type UsageEntry = readonly [cmd: string, desc: string];

export function formatUsage(entries: readonly UsageEntry[]): string {
  const width = Math.max(...entries.map(([c]) => c.length)) + 1;
  const out: string[] = [];
  for (const [cmd, desc] of entries) {
    const lines = desc.split('\n').filter((l) => l.length > 0);
    lines.forEach((l, i) => out.push(`${(i === 0 ? cmd : '').padEnd(width)}# ${l}`));
  }
  return out.map((l) => `${l}\n`).join('');
}

const STATUS_DESC = [
  'Print the current upgrade state of this node:',
  "  'idle'                  no upgrade in progress;",
  "  'in-progress'           an upgrade is running right now;",
  "  'hot-upgraded to <vsn>' a previous upgrade has been applied",
  '                          and the node is pending restart to',
  '                          boot from the new version.',
].join('\n');

export function relupUsageEntries(pluginVsn: string): UsageEntry[] {
  const hasForce = pluginVsn !== '1.0.0';
  const upgradeDesc = [
    'Upgrade using the EMQX target tarball at <TarballPath>.',
    'A `<TarballPath>.sha256` sidecar must sit next to it.',
    "Target version is read from the tarball's",
    '`releases/emqx_vars` (`REL_VSN`).',
    ...(hasForce
      ? [
          'Refuses to proceed if `data/patches/` contains any',
          "`*.beam` (they would shadow the target's modules). Pass",
          '--force to keep the patches and proceed anyway.',
        ]
      : []),
  ].join('\n');
  return [
    [hasForce ? 'relup upgrade <TarballPath> [--force]' : 'relup upgrade <TarballPath>', upgradeDesc],
    ['relup list-supported-paths', 'List the {From, Target} hops the priv catalog supports.'],
    ['relup status', STATUS_DESC],
    ['relup logs', "Print this node's upgrade history,\none row per attempt, oldest first."],
    ['relup logs-clear', "Wipe this node's upgrade log table."],
  ];
}

export const relupUsage = (pluginVsn: string): string => formatUsage(relupUsageEntries(pluginVsn));

// `emqx ctl help`: `Usage: emqx ctl`, then per command a 110-dash separator and its usage.
// The relup usage is [code]; the other commands' texts are abridged [guess: shape from emqx_mgmt_cli].
const SEP = '-'.repeat(110);
const CTL_COMMANDS: ReadonlyArray<readonly [string, readonly UsageEntry[]]> = [
  ['status', [['status', 'Show broker status']]],
  [
    'broker',
    [
      ['broker', 'Show broker version, uptime and description'],
      ['broker stats', 'Show broker statistics of clients, topics, subscribers'],
      ['broker metrics', 'Show broker metrics'],
    ],
  ],
  [
    'cluster',
    [
      ['cluster join <Node>', 'Join the cluster'],
      ['cluster leave', 'Leave the cluster'],
      ['cluster force-leave <Node>', 'Force the node leave from cluster'],
      ['cluster status [--json]', 'Cluster status'],
    ],
  ],
  [
    'plugins',
    [
      ['plugins <command> [Name-Vsn]', "e.g. 'start emqx_plugin_template-5.0-rc.1'"],
      ['plugins list', 'List all installed plugins'],
      ['plugins describe  Name-Vsn', 'Describe an installed plugins'],
      ['plugins start     Name-Vsn', 'Start a plugin'],
      ['plugins stop      Name-Vsn', 'Stop a plugin'],
    ],
  ],
];

export function ctlHelp(relupRegistered: boolean, pluginVsn: string): string {
  const groups: string[] = CTL_COMMANDS.map(([, u]) => formatUsage(u));
  groups.push(REBALANCE_USAGE); // emqx_node_rebalance registers before plugins start
  if (relupRegistered) groups.push(formatUsage(relupUsageEntries(pluginVsn)));
  return `Usage: emqx ctl\n${groups.map((g) => `${SEP}\n${g}`).join('')}`;
}

// ---------------------------------------------------------------------------------------------
export type InternalStatus = 'starting' | 'started' | 'stopping';

export const formatStatus = (node: string, vsn: string, s: InternalStatus): string =>
  `Node ${writeAtom(node)} ${vsn} is ${s}\n`;

export const notResponding = (node: string): string => `Node ${writeAtom(node)} not responding to pings.\n`;

export function formatClusterStatus(running: readonly string[], stopped: readonly string[]): string {
  const prefix = 'Cluster status: ';
  const term = amap({
    running_nodes: list([...running].sort().map(atom)),
    stopped_nodes: list([...stopped].sort().map(atom)),
  });
  return `${prefix}${prettyTerm(term, prefix.length + 1)}\n`;
}

export function formatClusterStatusJson(running: readonly string[], stopped: readonly string[]): string {
  return `${jiffyPretty({ running_nodes: [...running].sort(), stopped_nodes: [...stopped].sort() })}\n`;
}

/** emqx_mgmt_cli human_readable_duration_string: leading zero units dropped. */
export function humanDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const parts: Array<[number, string]> = [
    [Math.floor(total / 86400), 'days'],
    [Math.floor((total % 86400) / 3600), 'hours'],
    [Math.floor((total % 3600) / 60), 'minutes'],
    [total % 60, 'seconds'],
  ];
  let i = 0;
  while (i < parts.length - 1 && parts[i][0] === 0) i++;
  return parts
    .slice(i)
    .map(([n, u]) => `${n} ${u}`)
    .join(', ');
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Local-time RFC 3339 with the given fraction digits, offset from `tzOffsetMin` (minutes east). */
export function rfc3339(ms: number, tzOffsetMin: number, fraction: 'ms' | 'ns'): string {
  const d = new Date(ms + tzOffsetMin * 60_000);
  const frac = String(d.getUTCMilliseconds()).padStart(3, '0') + (fraction === 'ns' ? '000000' : '');
  const sign = tzOffsetMin < 0 ? '-' : '+';
  const off = Math.abs(tzOffsetMin);
  return (
    `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${frac}` +
    `${sign}${two(Math.floor(off / 60))}:${two(off % 60)}`
  );
}

export function formatBroker(vsn: string, nowMs: number, tzOffsetMin: number, uptimeMs: number): string {
  const row = (k: string, v: string): string => `${k.padEnd(10)}: ${v}\n`;
  return (
    row('sysdescr', 'EMQX Enterprise') +
    row('version', vsn) +
    row('datetime', rfc3339(nowMs, tzOffsetMin, 'ns')) +
    row('uptime', humanDuration(uptimeMs))
  );
}

export const STAT_NAMES = [
  'channels',
  'cluster_sessions',
  'connections',
  'delayed',
  'durable_subscriptions',
  'live_connections',
  'retained',
  'routes',
  'sessions',
  'suboptions',
  'subscribers',
  'subscriptions',
  'subscriptions.shared',
  'topics',
] as const;

/** `broker stats`: `~-30s: ~w` per stat, alphabetical. Missing stats print 0. */
export function formatBrokerStats(stats: Readonly<Record<string, number>>): string {
  const names = STAT_NAMES.flatMap((n) => [`${n}.count`, `${n}.max`]).sort();
  return names.map((n) => `${n.padEnd(30)}: ${stats[n] ?? 0}\n`).join('');
}

export interface PluginInfo {
  readonly vsn: string;
  readonly running: boolean;
}

export function formatPluginsList(p: PluginInfo | null): string {
  if (!p) return '[]\n';
  const obj: Json = {
    name: 'emqx_relup',
    rel_vsn: p.vsn,
    rel_apps: [`emqx_relup-${p.vsn}`],
    description: 'EMQX hot-upgrade (relup) plugin.',
    running_status: p.running ? 'running' : 'stopped',
    config_status: p.running ? 'enabled' : 'disabled',
    functionality: ['Hot upgrade'],
    compatibility: { emqx: '~> 5.10' },
    hidden: false,
    metadata_vsn: '0.2.0',
    authors: ['EMQX Team'],
    builder: { name: 'EMQX Team', contact: 'emqx-support@emqx.io', website: 'www.emqx.com' },
    repo: 'https://github.com/emqx/emqx',
    git_ref: p.vsn === '1.0.0' ? 'e5.10.4' : 'release-510',
    git_commit_or_build_date:
      p.vsn === '1.0.0' ? '416bc5cf62ff72845baec5ca095f8c472cbd712d' : '78526dddb0c9875f21cec3b9ec356c87032501bd',
    built_on_otp_release: '27',
    with_config_schema: false,
    md5sum: p.vsn === '1.0.0' ? '5d41402abc4b2a76b9719d911017c592' : '7d793037a0760186574b0282f2f435e7',
  };
  return `${jiffyPretty([obj])}\n`;
}

// ---------------------------------------------------------------------------------------------
// relup
export const listSupportedPaths = (catalog: readonly CatalogEntry[]): string =>
  catalog.length === 0
    ? 'no supported upgrade paths in priv catalog\n'
    : catalog.map((c) => `${c.from} -> ${c.target}\n`).join('');

export function catalogTerm(catalog: readonly CatalogEntry[]): ETerm {
  return list(catalog.map((c) => amap({ from_version: str(c.from), target_version: str(c.target) })));
}

export const upgradeComplete = 'upgrade complete\n';

export function upgradeFailed(reason: ETerm): string {
  const prefix = 'upgrade failed, reason: ';
  return `${prefix}${prettyTerm(reason, prefix.length + 1)}\n`;
}

/** The log row's `result` for a failure: `#{details => <<"~0p of the rest">>, err_type => X}`. */
export function failureResult(reason: ETerm): string {
  if (reason.t !== 'map') return writeTerm(amap({ details: bin(writeTerm(reason)), err_type: atom('unknown') }));
  const errType = reason.v.find(([k]) => k.t === 'atom' && k.v === 'err_type')?.[1] ?? atom('unknown');
  const rest: ETerm = { t: 'map', v: reason.v.filter(([k]) => !(k.t === 'atom' && k.v === 'err_type')) };
  return writeTerm(amap({ details: bin(writeTerm(rest)), err_type: errType }));
}

export function formatLogRow(r: LogRow, tzOffsetMin: number): string {
  const started = rfc3339(r.startedAt, tzOffsetMin, 'ms');
  const finished = r.finishedAt === null ? '' : rfc3339(r.finishedAt, tzOffsetMin, 'ms');
  return `started=${started} finished=${finished} ${r.from} -> ${r.target ?? ''} status=${writeAtom(r.status)} result=${r.result}\n`;
}

export const formatLogs = (rows: readonly LogRow[], tzOffsetMin: number): string =>
  rows.length === 0 ? 'no upgrade history on this node\n' : rows.map((r) => formatLogRow(r, tzOffsetMin)).join('');

export function formatRelupStatus(s: { marker: string | null; lastRowInProgress: boolean }): string {
  if (s.marker !== null) return `hot-upgraded to ${s.marker}; pending on restart to boot from the new version\n`;
  return s.lastRowInProgress ? 'in-progress\n' : 'idle\n';
}

/** `RPC to ~s failed: ~0p` from bin/nodetool on {badrpc, nodedown} (the VM-restart path, §1.4). */
export const rpcFailedNodedown = (node: string): string => `RPC to ${node} failed: ${writeTerm(atom('nodedown'))}\n`;

/** bin/emqx usage (`emqx`, `emqx help`, unknown commands, `restart`) [guess: abridged from e5.10.4 bin/emqx]. */
export function binUsage(): string {
  return [
    'Usage: emqx COMMAND [help]',
    '',
    'Commonly used COMMANDs:',
    '  start:      Start EMQX in daemon mode',
    '  console:    Start EMQX in an interactive Erlang or Elixir shell',
    '  foreground: Start EMQX in foreground mode without an interactive shell',
    '  stop:       Stop the running EMQX node',
    "  ctl:        Administration commands, execute 'emqx ctl help' for more details",
    '',
    'More:',
    '  Shell attach:  remote_console | attach',
    '  Up/Down-grade: upgrade | downgrade | install | uninstall',
    '  Install info:  ertspath | root_dir',
    '  Runtime info:  pid | ping | versions',
    '  Validate Config:  check_config',
    '  Advanced:      eval | eval-erl | eval-ex | escript',
    '',
    "Execute 'emqx COMMAND help' for more information",
    '',
  ].join('\n');
}
