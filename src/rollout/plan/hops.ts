// Which hot hops this cluster can take, from the facts alone (no tarball needed). Pure.
//
// A hot hop is decided by the emqx_relup plugin on each node: it matches a catalog entry by exact
// string equality of the running version (facts §1.6, §5), so the question is per node: does the
// catalog `relup list-supported-paths` printed list `<running> -> <target>`? Plugin 1.0.1 ships one
// hop (5.10.4 -> 5.10.5); plugin 1.0.0, the one of the e5.10.4 tag, ships none.
//
// Chains (A -> B -> C) are shown but never counted as a hot hop to C: a second hop before the
// restart, and a hop after restarting into relup/<vsn>/, are derived from source and unverified
// (facts §1.9). `upgrade` takes one hop per invocation, so a chain is "hop to B, restart, plan again".
import { classifyHop, compareEmqxVersions, parseEmqxVersion } from '../../emqx/version.js';
import type { UpgradePath } from '../../emqx/types.js';
import { pluginOf, type NodeFacts } from '../core/facts.js';

export type NoHopCode =
  | 'node-unreachable'
  | 'node-not-running'
  | 'hop-not-patch'
  | 'plugin-missing'
  | 'plugin-not-running'
  | 'plugin-empty-catalog'
  | 'supported-paths-unknown'
  | 'hop-not-in-catalog'
  | 'hop-chain-only';

export interface NoHop {
  readonly code: NoHopCode;
  /** For hop-not-patch: minor-or-major | downgrade | invalid (pre-release / -g<sha> / patched build). */
  readonly kind?: string;
  readonly message: string;
  /** What the operator can do instead, in order of preference. */
  readonly instead: readonly string[];
}

/** A chain through one node's catalog: versions visited, a restart between every two hops. */
export interface HopChain {
  readonly versions: readonly string[];
  /** Always false: only the first hop of a chain is a verified operation (facts §1.9). */
  readonly verified: false;
  readonly note: string;
}

export interface NodeHops {
  readonly node: string;
  /** Running version; null when unreachable or down. */
  readonly version: string | null;
  /** emqx_relup version, when installed. */
  readonly plugin: string | null;
  /** Every `from -> to` the node's catalog lists; null when it could not be read. */
  readonly listed: readonly UpgradePath[] | null;
  /** Targets the catalog lists from the running version, oldest first. */
  readonly targets: readonly string[];
  /** With a target: whether this node can take a hot hop to it (true also when already there). */
  readonly hot?: boolean;
  readonly atTarget?: boolean;
  readonly noHop?: NoHop;
  readonly chain?: HopChain;
}

export interface HopSurvey {
  readonly to: string | null;
  readonly nodes: readonly NodeHops[];
  /** Targets every node can reach in one hot hop (or already runs), at least one node moving. */
  readonly common: readonly string[];
  /** With a target: every node has a hot hop to it or already runs it. */
  readonly allHot: boolean;
  /** Nodes that need a hop to the target (not already there). */
  readonly moving: readonly string[];
  /**
   * The hop the next `upgrade` would make: the target when every node has it hot, else the first
   * step of a chain every moving node shares (unverified beyond it), else null.
   */
  readonly nextHop: string | null;
}

const CHAIN_NOTE =
  'a second hop before a restart, and a hop after restarting into relup/<vsn>/, are derived from the plugin source ' +
  'and unverified (facts §1.9): upgrade takes one hop per run — hop, restart, then plan the next hop again';

const byVersion = (a: string, b: string): number =>
  parseEmqxVersion(a) && parseEmqxVersion(b) ? compareEmqxVersions(a, b) : a < b ? -1 : a > b ? 1 : 0;

/** Shortest chain of ≥ 2 catalog hops from `from` to `to` (breadth first), or null. */
export function findChain(paths: readonly UpgradePath[], from: string, to: string): string[] | null {
  const prev = new Map<string, string>([[from, '']]);
  let frontier = [from];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const v of frontier) {
      for (const p of paths) {
        if (p.from !== v || prev.has(p.to)) continue;
        prev.set(p.to, v);
        next.push(p.to);
      }
    }
    if (prev.has(to)) break;
    frontier = next.sort(byVersion);
  }
  if (!prev.has(to)) return null;
  const out = [to];
  while (out[0] !== from) out.unshift(prev.get(out[0])!);
  return out.length >= 3 ? out : null;
}

function baseHops(f: NodeFacts): NodeHops {
  const listed = f.supportedPaths;
  const targets =
    listed && f.version
      ? [...new Set(listed.filter((p) => p.from === f.version).map((p) => p.to))].sort(byVersion)
      : [];
  return { node: f.node, version: f.version, plugin: pluginOf(f)?.relVsn ?? null, listed, targets };
}

/** Why a node cannot take any hot hop (before looking at a target), or null when it can list them. */
function nodeProblem(f: NodeFacts, h: NodeHops): NoHop | null {
  if (!f.reachable) {
    return {
      code: 'node-unreachable',
      message: `${f.node} is not reachable over SSH: ${f.unreachable?.message ?? 'not connected'}`,
      instead: ['fix SSH access (host, port, user, key, known_hosts), then plan again'],
    };
  }
  if (!f.version) {
    return {
      code: 'node-not-running',
      message: `${f.node}: EMQX is not running, so its version and catalog are unknown`,
      instead: ['start the node, then plan again'],
    };
  }
  const plugin = pluginOf(f);
  if (f.supportedPathsKind === 'paths' && h.listed) return null;
  if (!plugin && f.plugins !== null) {
    return {
      code: 'plugin-missing',
      message: `${f.node}: the emqx_relup plugin is not installed, so it has no hot hops`,
      instead: [
        'install the emqx_relup plugin that ships the hop (1.0.1 lists 5.10.4 -> 5.10.5) and start it',
        'or upgrade with a rolling restart',
      ],
    };
  }
  if (f.supportedPathsKind === 'not-registered' || (plugin && plugin.runningStatus !== 'running')) {
    return {
      code: 'plugin-not-running',
      message: `${f.node}: plugin emqx_relup${plugin ? `-${plugin.relVsn}` : ''} is not running, so \`relup list-supported-paths\` is not available`,
      instead: [`start it: bin/emqx ctl plugins start emqx_relup-${plugin?.relVsn ?? '<vsn>'}, then plan again`],
    };
  }
  return {
    code: 'supported-paths-unknown',
    message: `${f.node}: could not read \`relup list-supported-paths\` (${f.supportedPathsKind ?? 'no answer'})`,
    instead: ['check the emqx_relup plugin on the node, then plan again'],
  };
}

function judgeTarget(f: NodeFacts, h: NodeHops, to: string): NodeHops {
  if (h.version === to) return { ...h, hot: true, atTarget: true };
  const problem = nodeProblem(f, h);
  if (problem) return { ...h, hot: false, atTarget: false, noHop: problem };
  const v = h.version!;
  const listed = h.listed!;
  if (listed.some((p) => p.from === v && p.to === to)) return { ...h, hot: true, atTarget: false };
  const hop = classifyHop(v, to);
  if (hop.kind !== 'patch-hop') {
    const instead =
      hop.kind === 'downgrade'
        ? ['a hot upgrade cannot go back; restore the backup taken before the hop, or reinstall the older release']
        : hop.kind === 'minor-or-major'
          ? [
              `upgrade with a rolling restart (stop, install ${to}, start, one node at a time)`,
              ...(h.targets.length
                ? [`hot hops this node does list: ${h.targets.map((t) => `${v} -> ${t}`).join(', ')}`]
                : []),
            ]
          : [
              'hot upgrade needs a catalog hop from exactly the running version to a later release; use a rolling restart',
            ];
    return {
      ...h,
      hot: false,
      atTarget: false,
      noHop: { code: 'hop-not-patch', kind: hop.kind, message: `${f.node}: ${hop.reason}`, instead },
    };
  }
  const chain = findChain(listed, v, to);
  if (chain) {
    return {
      ...h,
      hot: false,
      atTarget: false,
      chain: { versions: chain, verified: false, note: CHAIN_NOTE },
      noHop: {
        code: 'hop-chain-only',
        message: `${f.node}: no direct hop ${v} -> ${to}; the catalog only chains ${chain.join(' -> ')}, with a restart between hops (unverified)`,
        instead: [
          `upgrade to ${chain[1]} first (one hop per run), restart into it, then plan ${chain[1]} -> ${to} again`,
        ],
      },
    };
  }
  if (listed.length === 0) {
    return {
      ...h,
      hot: false,
      atTarget: false,
      noHop: {
        code: 'plugin-empty-catalog',
        message: `${f.node}: plugin emqx_relup${h.plugin ? `-${h.plugin}` : ''} lists no hops at all (plugin 1.0.0 ships an empty catalog)`,
        instead: [
          `install the emqx_relup version that ships ${v} -> ${to} (1.0.1 ships 5.10.4 -> 5.10.5) on every node`,
          'or upgrade with a rolling restart',
        ],
      },
    };
  }
  return {
    ...h,
    hot: false,
    atTarget: false,
    noHop: {
      code: 'hop-not-in-catalog',
      message: `${f.node}: plugin emqx_relup${h.plugin ? `-${h.plugin}` : ''} does not list ${v} -> ${to} (its catalog: ${listed.map((p) => `${p.from} -> ${p.to}`).join(', ')})`,
      instead: [
        `install an emqx_relup version whose catalog lists ${v} -> ${to}`,
        ...(h.targets.length ? [`or hop to ${h.targets.at(-1)} instead (listed from ${v})`] : []),
        'or upgrade with a rolling restart',
      ],
    },
  };
}

/** Per node its version and listed hops; with `to`, whether each can hop there and why not. */
export function surveyHops(facts: readonly NodeFacts[], to: string | null): HopSurvey {
  const base = facts.map((f) => ({ f, h: baseHops(f) }));
  const nodes = base.map(({ f, h }) => {
    if (to !== null) return judgeTarget(f, h, to);
    const problem = nodeProblem(f, h);
    return problem ? { ...h, noHop: problem } : h;
  });
  const reachable = base.every(({ f, h }) => nodeProblem(f, h) === null);
  // Common targets: listed from every node's running version, or already run by that node.
  const candidates = new Set(base.flatMap(({ h }) => h.targets));
  const common = reachable
    ? [...candidates]
        .filter(
          (t) =>
            base.every(({ h }) => h.version === t || h.targets.includes(t)) && base.some(({ h }) => h.version !== t),
        )
        .sort(byVersion)
    : [];
  const moving = to === null ? [] : nodes.filter((n) => !n.atTarget).map((n) => n.node);
  const allHot = to !== null && nodes.every((n) => n.hot === true);
  let nextHop: string | null = null;
  if (to !== null && allHot && moving.length > 0) nextHop = to;
  else if (to !== null && moving.length > 0) {
    const firsts = new Set(nodes.filter((n) => !n.atTarget).map((n) => n.chain?.versions[1] ?? ''));
    const only = [...firsts][0];
    if (firsts.size === 1 && only) nextHop = only;
  }
  return { to, nodes, common, allHot, moving, nextHop };
}
