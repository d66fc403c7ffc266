// Typed results of parsing `emqx ctl …` output (reference/emqx-cli-facts.md §1–§3).
// Every parser returns a discriminated union. Output we do not recognise comes back as
// `{kind: 'unrecognised', raw}` carrying the text: the orchestrator must never act on a guess.

import type { ErlTerm } from './erlangTerm.js';

/** Output that matched no known form. `raw` holds stdout (and stderr when it mattered). */
export interface Unrecognised {
  readonly kind: 'unrecognised';
  readonly raw: string;
}

/**
 * The node is not reachable through `bin/emqx ctl` (facts §3 "Node not running"): nodetool's
 * `Node 'x' not responding to pings.`, `bin/emqx`'s `ERROR: Node x is not running?`, or nodetool's
 * `Failed to connect to node 'x'` (pings answered, distribution connect refused). Always exit 1.
 */
export interface NodeDown {
  readonly kind: 'down';
  /** Node name without quotes, as named in the message. */
  readonly node: string;
  /** The message line as printed. */
  readonly message: string;
}

/**
 * The `relup` command is not registered (plugin missing or stopped): `emqx ctl` printed its full
 * help (`Usage: emqx ctl` + one 110-dash separator per command) and exited 1 (facts §1.3).
 */
export interface NotRegistered {
  readonly kind: 'not-registered';
  readonly raw: string;
}

/** `emqx ctl relup` answered with its usage block: the arguments were not accepted (facts §1.2). */
export interface Usage {
  readonly kind: 'usage';
  readonly raw: string;
}

// ---- emqx ctl status --------------------------------------------------------------------------

export type InternalStatus = 'started' | 'starting' | 'stopping';

export type CtlStatus =
  | { readonly kind: 'running'; readonly node: string; readonly version: string; readonly status: InternalStatus }
  | NodeDown
  | Unrecognised;

// ---- emqx ctl cluster status [--json] ---------------------------------------------------------

export type ClusterStatus =
  | { readonly kind: 'cluster'; readonly running: readonly string[]; readonly stopped: readonly string[] }
  | NodeDown
  | Unrecognised;

// ---- emqx ctl broker / broker stats -----------------------------------------------------------

export type BrokerInfo =
  | {
      readonly kind: 'broker';
      readonly sysdescr: string;
      readonly version: string;
      readonly datetime: string;
      readonly uptimeSeconds: number;
    }
  | NodeDown
  | Unrecognised;

export type BrokerStats =
  { readonly kind: 'stats'; readonly stats: Readonly<Record<string, number>> } | NodeDown | Unrecognised;

// ---- emqx ctl plugins list --------------------------------------------------------------------

export interface PluginInfo {
  readonly name: string;
  readonly relVsn: string;
  /** `running | stopped | loaded` on this node (kept as printed). */
  readonly runningStatus: string;
  /** `enabled | disabled | not_configured` (kept as printed). */
  readonly configStatus: string;
}

export type PluginsList =
  { readonly kind: 'plugins'; readonly plugins: readonly PluginInfo[] } | NodeDown | Unrecognised;

// ---- emqx ctl relup upgrade -------------------------------------------------------------------

export type RelupUpgradeResult =
  | { readonly kind: 'complete'; readonly raw: string }
  | {
      readonly kind: 'failed';
      /** `err_type` of the reason map, e.g. `sha256_mismatch`; `unknown` when the map has none. */
      readonly errType: string;
      /** `stage` of the reason map (`check_and_unpack`, `perform_upgrade`, `permanent_upgrade`). */
      readonly stage?: string;
      /** The parsed reason term; null when the printed term could not be parsed (errType then
       *  comes from a textual `err_type => x` match). */
      readonly reason: ErlTerm | null;
      readonly raw: string;
    }
  | { readonly kind: 'vm-restarted'; readonly reason: ErlTerm | null; readonly raw: string }
  | { readonly kind: 'rpc-failed'; readonly raw: string }
  | Usage
  | NotRegistered
  | NodeDown
  | Unrecognised;

export type RelupUpgradeVerdictKind = RelupUpgradeResult['kind'];

// ---- emqx ctl relup list-supported-paths ------------------------------------------------------

export interface UpgradePath {
  readonly from: string;
  readonly to: string;
}

export type SupportedPaths =
  { readonly kind: 'paths'; readonly paths: readonly UpgradePath[] } | Usage | NotRegistered | NodeDown | Unrecognised;

// ---- emqx ctl relup status --------------------------------------------------------------------

export type RelupStatus =
  | { readonly kind: 'idle' }
  | { readonly kind: 'in-progress' }
  | { readonly kind: 'hot-upgraded'; readonly target: string }
  | Usage
  | NotRegistered
  | NodeDown
  | Unrecognised;

// ---- emqx ctl relup logs ----------------------------------------------------------------------

export type RelupLogResult =
  | { readonly kind: 'success' }
  | { readonly kind: 'error'; readonly errType: string; readonly details: string }
  /** `result=<<>>`: the attempt has no result yet (in progress, or the VM restarted under it). */
  | { readonly kind: 'none' }
  | Unrecognised;

export interface RelupLogRow {
  /** RFC 3339 local time with milliseconds, as printed. */
  readonly started: string;
  /** null while the attempt is in progress (printed as `finished=`). */
  readonly finished: string | null;
  readonly from: string;
  /** null when the target was not known yet (printed as two spaces after `->`). */
  readonly target: string | null;
  readonly status: 'finished' | 'in-progress';
  readonly result: RelupLogResult;
  /** The row's line as printed. */
  readonly line: string;
}

export type RelupLogs =
  { readonly kind: 'logs'; readonly rows: readonly RelupLogRow[] } | Usage | NotRegistered | NodeDown | Unrecognised;

// ---- plain shell probes (cat / df / sha256sum / find / test) -----------------------------------

export type MarkerRead =
  /** `version` is the trimmed content of `<RootDir>/relup/current`; null when there is no marker. */
  { readonly kind: 'marker'; readonly version: string | null } | Unrecognised;

export type PatchesList = { readonly kind: 'patches'; readonly files: readonly string[] } | Unrecognised;

export type DfAvail = { readonly kind: 'df'; readonly availBytes: number; readonly mountedOn: string } | Unrecognised;

export type Sha256Read = { readonly kind: 'sha256'; readonly hex: string } | Unrecognised;

export type WritableProbe = { readonly kind: 'writable'; readonly writable: boolean } | Unrecognised;
