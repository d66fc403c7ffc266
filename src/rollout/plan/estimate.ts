// How long each node's hop will take. Pure: the journal's records are a parameter.
//
// From this cluster's own history when there is one: the median of every successful `step.finished`
// of earlier `upgrade` runs, per node and step (a node without history of a step takes the
// cluster's median of that step). Else from the inventory and the tarball: the upgrade may take its
// whole deadline (`gates.timeoutSeconds`, an upper bound), staging moves the tarball at an assumed
// 20 MiB/s, a backup and a gate round take assumed fixed times. The soak always comes from the
// inventory (it may have changed since).
//
// Separately from the estimate, every node has a *reserve*: what the engine itself demands before
// starting a node in a window (upgrade deadline + soak, upgrade.ts awaitWindow). The schedule uses
// the estimate to place nodes and the reserve to decide whether the engine would start them.

export type EstimatedStep = 'stage' | 'gate-before' | 'backup' | 'upgrade' | 'gate-after';

export interface History {
  /** Durations in ms of successful steps, per node, per step, oldest first. */
  readonly byNode: ReadonlyMap<string, ReadonlyMap<EstimatedStep, readonly number[]>>;
  /** Earlier upgrade runs the durations come from. */
  readonly runs: readonly string[];
}

export interface EstimateParams {
  readonly nodes: readonly string[];
  readonly timeoutSeconds: number;
  readonly soakSeconds: number;
  readonly noBackup: boolean;
  /** Bytes of the tarball to stage; null when unknown (no tarball chosen). */
  readonly tarballBytes: number | null;
  /** Nodes whose tarball is already staged (sha256 matches): no upload. */
  readonly staged?: ReadonlySet<string>;
}

export interface NodeEstimate {
  readonly node: string;
  /** Expected duration of this node's turn (gate-before → soak's gates), ms. Staging not included. */
  readonly expectedMs: number;
  /** What the engine requires before starting it in a window: deadline + soak, ms. */
  readonly reserveMs: number;
  readonly stageMs: number;
  readonly parts: {
    readonly gateBeforeMs: number;
    readonly backupMs: number;
    readonly upgradeMs: number;
    readonly gateAfterMs: number;
    readonly soakMs: number;
  };
  readonly source: 'history' | 'inventory';
  /** In words, where the numbers come from. */
  readonly basis: string;
}

export interface Estimate {
  readonly nodes: readonly NodeEstimate[];
  /** Staging runs on all nodes in parallel before the first node: the slowest node's. */
  readonly stagingMs: number;
  /** Staging plus every node one after another. */
  readonly totalMs: number;
  readonly source: 'history' | 'inventory' | 'mixed';
  readonly runs: readonly string[];
}

/** Assumptions without history; named so the text can say what was assumed. */
export const ASSUMED = Object.freeze({ stageBytesPerSec: 20 * 1024 * 1024, backupMs: 30_000, gateRoundMs: 5_000 });

const STEPS: readonly EstimatedStep[] = ['stage', 'gate-before', 'backup', 'upgrade', 'gate-after'];

type Rec = Record<string, unknown>;

/** Successful step durations of earlier `upgrade` runs (not `skipRun`, usually the current one). */
export function historyFromJournal(records: readonly object[], skipRun?: string): History {
  const upgradeRuns = new Set<string>();
  const byNode = new Map<string, Map<EstimatedStep, number[]>>();
  const used = new Set<string>();
  for (const raw of records) {
    const r = raw as Rec;
    if ((r.kind === 'run.start' || r.kind === 'run.meta') && r.command === 'upgrade' && typeof r.runId === 'string')
      upgradeRuns.add(r.runId);
    if (r.kind !== 'event' || r.type !== 'step.finished' || r.ok !== true) continue;
    if (typeof r.runId !== 'string' || r.runId === skipRun || !upgradeRuns.has(r.runId)) continue;
    if (
      typeof r.node !== 'string' ||
      typeof r.durationMs !== 'number' ||
      !Number.isFinite(r.durationMs) ||
      r.durationMs < 0
    )
      continue;
    const step = r.step as EstimatedStep;
    if (!STEPS.includes(step)) continue;
    // "already staged"/"already at target" steps took no work: they would drag the median down.
    if (typeof r.message === 'string' && /^already/.test(r.message)) continue;
    let m = byNode.get(r.node);
    if (!m) byNode.set(r.node, (m = new Map<EstimatedStep, number[]>()));
    const list = m.get(step) ?? [];
    list.push(r.durationMs);
    m.set(step, list);
    used.add(r.runId);
  }
  return { byNode, runs: [...used] };
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
}

export function estimateNodes(p: EstimateParams, history: History): Estimate {
  const clusterMedian = new Map<EstimatedStep, number | null>(
    STEPS.map((s) => [s, median([...history.byNode.values()].flatMap((m) => m.get(s) ?? []))]),
  );
  const soakMs = p.soakSeconds * 1000;
  const reserveMs = (p.timeoutSeconds + p.soakSeconds) * 1000;
  const fallbackStage = p.tarballBytes === null ? 0 : Math.round((p.tarballBytes / ASSUMED.stageBytesPerSec) * 1000);
  const nodes = p.nodes.map((node): NodeEstimate => {
    const mine = history.byNode.get(node);
    let fromHistory = 0;
    let assumed = 0;
    const pick = (step: EstimatedStep, fallback: number): number => {
      const v = median(mine?.get(step) ?? []) ?? clusterMedian.get(step) ?? null;
      if (v === null) {
        assumed++;
        return fallback;
      }
      fromHistory++;
      return v;
    };
    const gateBeforeMs = pick('gate-before', ASSUMED.gateRoundMs);
    const backupMs = p.noBackup ? 0 : pick('backup', ASSUMED.backupMs);
    const upgradeMs = pick('upgrade', p.timeoutSeconds * 1000);
    const gateAfterMs = pick('gate-after', ASSUMED.gateRoundMs);
    // The soak round is the soak plus one more round of gates.
    const soak = p.soakSeconds > 0 ? soakMs + gateAfterMs : 0;
    const stageMs = p.staged?.has(node) ? 0 : p.tarballBytes === null ? 0 : pick('stage', fallbackStage);
    const source = assumed === 0 ? 'history' : 'inventory';
    const basis =
      assumed === 0
        ? `median of ${history.runs.length} earlier run(s) of this cluster`
        : fromHistory > 0
          ? `history where there is some, else the inventory (upgrade ≤ ${p.timeoutSeconds}s deadline) and assumptions`
          : `no history: upgrade ≤ its ${p.timeoutSeconds}s deadline, backup ~${ASSUMED.backupMs / 1000}s, gates ~${ASSUMED.gateRoundMs / 1000}s a round, staging at ~20 MiB/s (assumed)`;
    return {
      node,
      expectedMs: gateBeforeMs + backupMs + upgradeMs + gateAfterMs + soak,
      reserveMs,
      stageMs,
      parts: { gateBeforeMs, backupMs, upgradeMs, gateAfterMs, soakMs: soak },
      source,
      basis,
    };
  });
  const stagingMs = Math.max(0, ...nodes.map((n) => n.stageMs));
  const sources = new Set(nodes.map((n) => n.source));
  return {
    nodes,
    stagingMs,
    totalMs: stagingMs + nodes.reduce((a, n) => a + n.expectedMs, 0),
    source: sources.size === 1 ? [...sources][0] : sources.size === 0 ? 'inventory' : 'mixed',
    runs: history.runs,
  };
}

/** `1h 05m`, `4m 10s`, `12s` — durations in the plan text. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
