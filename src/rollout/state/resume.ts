// Resume support: read what previous runs journaled (pure). The position of a rollout always comes
// from facts observed on the nodes; the journal only says which node's upgrade began without a
// recorded end, so that node is re-observed (never upgraded blindly).

export interface RunMeta {
  readonly kind: 'run.meta';
  readonly runId: string;
  readonly command: string;
  readonly fingerprint: string;
  readonly cluster: string;
  readonly from: string | null;
  readonly to: string;
  readonly sha256: string;
  readonly nodes: readonly string[];
}

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

type Rec = Record<string, unknown>;

export function summarizeJournal(records: readonly object[]): JournalSummary {
  let lastRun: { meta: RunMeta; ended: string | null } | null = null;
  const inFlight = new Map<string, InFlight>();
  const ungated = new Map<string, Ungated>();
  for (const raw of records) {
    const r = raw as Rec;
    if (r.kind === 'run.meta' && r.command === 'upgrade') {
      lastRun = { meta: r as unknown as RunMeta, ended: null };
    } else if (r.kind === 'run.end' && lastRun && r.runId === lastRun.meta.runId) {
      lastRun = { meta: lastRun.meta, ended: String(r.outcome) };
    } else if (r.kind === 'upgrade.begin' && typeof r.node === 'string') {
      inFlight.set(r.node, {
        node: r.node,
        runId: String(r.runId),
        from: String(r.from),
        to: String(r.to),
        logRowsBefore: Number(r.logRowsBefore ?? 0),
        connectionsBefore: typeof r.connectionsBefore === 'number' ? r.connectionsBefore : null,
      });
    } else if (r.kind === 'upgrade.end' && typeof r.node === 'string') {
      const began = inFlight.get(r.node);
      inFlight.delete(r.node);
      // A completed hop stays "ungated" until a node.gated record proves its gates passed.
      if (/^complete/.test(String(r.verdict)) || r.applied === true) ungated.set(r.node, { node: r.node, runId: String(r.runId), to: String(r.to ?? began?.to ?? ''), connectionsBefore: began?.connectionsBefore ?? null });
      else ungated.delete(r.node);
    } else if (r.kind === 'node.gated' && typeof r.node === 'string') {
      ungated.delete(r.node);
    }
  }
  return { lastRun, inFlight, ungated };
}

/**
 * Does the cluster still match the run we resume? Same nodes, same target bytes, and every node
 * either still at the run's from-version or already at its target.
 */
export function resumeMismatch(meta: RunMeta, now: { nodes: readonly string[]; to: string; sha256: string; versions: ReadonlyMap<string, string | null> }): string[] {
  const out: string[] = [];
  const a = [...meta.nodes].sort().join(',');
  const b = [...now.nodes].sort().join(',');
  if (a !== b) out.push(`the inventory's nodes changed: run ${meta.runId} had [${meta.nodes.join(', ')}], now [${now.nodes.join(', ')}]`);
  if (meta.to !== now.to || meta.sha256 !== now.sha256) out.push(`the tarball changed: run ${meta.runId} rolled ${meta.to} (sha256 ${meta.sha256.slice(0, 12)}…), now ${now.to} (sha256 ${now.sha256.slice(0, 12)}…)`);
  for (const [node, v] of now.versions) {
    if (v !== null && v !== meta.to && v !== meta.from) out.push(`${node} runs ${v}, neither the run's from-version ${meta.from} nor its target ${meta.to}`);
  }
  return out;
}
