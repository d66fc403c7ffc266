// Resume support: read what previous runs journaled (pure). The position of a rollout always comes
// from facts observed on the nodes; the journal only says which node's upgrade began without a
// recorded end, so that node is re-observed (never upgraded blindly).

import { asRecord, type RunMetaRecord } from './records.js';

export type RunMeta = RunMetaRecord;

export interface InFlight {
  readonly node: string;
  readonly runId: string;
  readonly from: string;
  readonly to: string;
  /** Number of `relup logs` rows before the upgrade command was sent. */
  readonly logRowsBefore: number;
  /** MQTT connections before the hop: the baseline of the connections gate when resuming. */
  readonly connectionsBefore: number | null;
}

export interface JournalSummary {
  /** The newest upgrade run, and whether it reached a terminal record (done/halted/paused). */
  readonly lastRun: { readonly meta: RunMeta; readonly ended: string | null } | null;
  /** Nodes whose `upgrade.begin` has no matching `upgrade.end`, across all runs (newest wins). */
  readonly inFlight: ReadonlyMap<string, InFlight>;
  /** Nodes whose hop completed but whose gates never passed afterwards (no `node.gated`). */
  readonly ungated: ReadonlyMap<string, Ungated>;
}

export interface Ungated {
  readonly node: string;
  readonly runId: string;
  readonly to: string;
  readonly connectionsBefore: number | null;
}

export function summarizeJournal(raws: readonly object[]): JournalSummary {
  let lastRun: { meta: RunMeta; ended: string | null } | null = null;
  const inFlight = new Map<string, InFlight>();
  const ungated = new Map<string, Ungated>();
  for (const raw of raws) {
    const r = asRecord(raw);
    if (!r) continue;
    switch (r.kind) {
      case 'run.meta':
        if (r.command === 'upgrade') lastRun = { meta: r, ended: null };
        break;
      case 'run.end':
        if (lastRun && r.runId === lastRun.meta.runId) lastRun = { meta: lastRun.meta, ended: String(r.outcome) };
        break;
      case 'upgrade.begin':
        inFlight.set(r.node, {
          node: r.node,
          runId: r.runId,
          from: r.from,
          to: r.to,
          logRowsBefore: r.logRowsBefore ?? 0,
          connectionsBefore: typeof r.connectionsBefore === 'number' ? r.connectionsBefore : null,
        });
        break;
      case 'upgrade.end': {
        const began = inFlight.get(r.node);
        inFlight.delete(r.node);
        // A hop that reached the live code stays "ungated" until node.gated proves its gates passed.
        if (r.applied === true || r.verdict === 'complete' || r.verdict === 'complete-observed') {
          ungated.set(r.node, {
            node: r.node,
            runId: r.runId,
            to: r.to ?? began?.to ?? '',
            connectionsBefore: began?.connectionsBefore ?? null,
          });
        } else ungated.delete(r.node);
        break;
      }
      case 'node.gated':
        ungated.delete(r.node);
        break;
      default:
        break;
    }
  }
  return { lastRun, inFlight, ungated };
}

/**
 * Does the cluster still match the run we resume? Same nodes, same target bytes, and every node
 * either still at the run's from-version or already at its target.
 */
export function resumeMismatch(
  meta: RunMeta,
  now: { nodes: readonly string[]; to: string; sha256: string; versions: ReadonlyMap<string, string | null> },
): string[] {
  const out: string[] = [];
  const a = [...meta.nodes].sort().join(',');
  const b = [...now.nodes].sort().join(',');
  if (a !== b)
    out.push(
      `the inventory's nodes changed: run ${meta.runId} had [${meta.nodes.join(', ')}], now [${now.nodes.join(', ')}]`,
    );
  if (meta.to !== now.to || meta.sha256 !== now.sha256)
    out.push(
      `the tarball changed: run ${meta.runId} rolled ${meta.to} (sha256 ${meta.sha256.slice(0, 12)}…), now ${now.to} (sha256 ${now.sha256.slice(0, 12)}…)`,
    );
  for (const [node, v] of now.versions) {
    if (v !== null && v !== meta.to && v !== meta.from)
      out.push(`${node} runs ${v}, neither the run's from-version ${meta.from} nor its target ${meta.to}`);
  }
  return out;
}
