// Where a rollout's wall time went, from the outside: the CLI's NDJSON events (timestamps, step
// durations), the journal's exec records, and the nodes' own hop times. Pure functions (no I/O):
// the bench feeds them what it recorded.

export interface TimedEvent {
  readonly ts: string;
  readonly type: string;
  readonly node?: string;
  readonly step?: string;
  readonly durationMs?: number;
  readonly done?: boolean;
}

export interface RunTimes {
  /** Date.now() at spawn and at exit of the CLI process. */
  readonly spawnAt: number;
  readonly exitAt: number;
}

export interface CostModel {
  readonly ctlLatencyMs: number;
  /** One `scp` of the tarball to one node (ms). */
  readonly scpMs: number;
  /** Each node's own hop time (ms), in rollout order. */
  readonly hopMs: readonly number[];
}

/** The physical limit of a serial rollout: one scp + every hop + per node two ctl latencies (the hop's, one gate round's). */
export function limitMs(m: CostModel): number {
  return m.scpMs + m.hopMs.reduce((a, b) => a + b, 0) + 2 * m.hopMs.length * m.ctlLatencyMs;
}

export interface PhaseRow {
  /** e.g. 'start-up', 'preflight', 'staging', 'gate-before', 'upgrade − hop', 'gate-after', 'between nodes', 'exit'. */
  readonly phase: string;
  readonly totalMs: number;
  /** What the physical limit grants this phase over the whole run. */
  readonly limitMs: number;
  readonly note?: string;
}

export interface Breakdown {
  readonly wallMs: number;
  readonly limitMs: number;
  readonly nodes: number;
  /** (wall − limit) / nodes. */
  readonly overheadPerNodeMs: number;
  readonly phases: readonly PhaseRow[];
  /** First stage start → last stage finished (all nodes). */
  readonly stagingSpanMs: number | null;
}

const t = (e: TimedEvent): number => Date.parse(e.ts);

export function breakdown(events: readonly TimedEvent[], run: RunTimes, m: CostModel): Breakdown {
  const wallMs = run.exitAt - run.spawnAt;
  const limit = limitMs(m);
  const n = m.hopMs.length;
  const first = (type: string) => events.find((e) => e.type === type);
  const started = first('rollout.started');
  const plan = first('plan.ready');
  const finished = (step: string) => events.filter((e) => e.type === 'step.finished' && e.step === step);
  const startedOf = (step: string) => events.filter((e) => e.type === 'step.started' && e.step === step);
  const sum = (xs: readonly TimedEvent[]) => xs.reduce((a, e) => a + (e.durationMs ?? 0), 0);
  const phases: PhaseRow[] = [];
  if (started)
    phases.push({ phase: 'start-up (spawn → rollout.started)', totalMs: t(started) - run.spawnAt, limitMs: 0 });
  if (started && plan) phases.push({ phase: 'preflight (→ plan.ready)', totalMs: t(plan) - t(started), limitMs: 0 });
  const stageStarts = startedOf('stage');
  const stageEnds = finished('stage');
  const stagingSpanMs =
    stageStarts.length && stageEnds.length ? Math.max(...stageEnds.map(t)) - Math.min(...stageStarts.map(t)) : null;
  const firstGate = startedOf('gate-before')[0];
  if (plan && firstGate) {
    phases.push({
      phase: 'plan.ready → node 1 gate-before (staging, lock)',
      totalMs: t(firstGate) - t(plan),
      limitMs: m.scpMs,
      note: stagingSpanMs === null ? undefined : `staging span ${Math.round(stagingSpanMs)} ms`,
    });
  }
  const hopSum = m.hopMs.reduce((a, b) => a + b, 0);
  phases.push({ phase: 'gate-before (Σ nodes)', totalMs: sum(finished('gate-before')), limitMs: 0 });
  phases.push({
    phase: 'upgrade step (Σ nodes)',
    totalMs: sum(finished('upgrade')),
    limitMs: hopSum + n * m.ctlLatencyMs,
    note: `node-side hops Σ ${Math.round(hopSum)} ms`,
  });
  phases.push({ phase: 'gate-after (Σ nodes)', totalMs: sum(finished('gate-after')), limitMs: n * m.ctlLatencyMs });
  const other = ['backup', 'soak'].map((s) => sum(finished(s))).reduce((a, b) => a + b, 0);
  if (other > 0) phases.push({ phase: 'backup + soak (Σ nodes)', totalMs: other, limitMs: 0 });
  // time between one node's last step and the next node's first: bookkeeping, journal fsyncs, lock
  const dones = events.filter((e) => e.type === 'node.done');
  let gaps = 0;
  for (const d of dones.slice(0, -1)) {
    const next = events.find((e) => e.type === 'step.started' && t(e) >= t(d) && e.node !== d.node);
    if (next) gaps += t(next) - t(d);
  }
  if (dones.length > 1) phases.push({ phase: 'between nodes (node.done → next step)', totalMs: gaps, limitMs: 0 });
  const last = events.at(-1);
  const lastDone = dones.at(-1);
  if (lastDone && last)
    phases.push({ phase: 'last node.done → last event', totalMs: t(last) - t(lastDone), limitMs: 0 });
  if (last) phases.push({ phase: 'exit (last event → process exit)', totalMs: run.exitAt - t(last), limitMs: 0 });
  return { wallMs, limitMs: limit, nodes: n, overheadPerNodeMs: n ? (wallMs - limit) / n : 0, phases, stagingSpanMs };
}

export interface ExecRecord {
  readonly kind?: string;
  readonly node?: string;
  readonly command?: string;
  readonly durationMs?: number;
  /** Set on the probes of one batch (remote/batch.ts): they shared one SSH exec. */
  readonly batch?: number;
}

export interface ExecStats {
  /** Remote commands (probes) per node, each journalled as if it ran alone. */
  readonly perNode: number;
  /** SSH exec channels per node: a batch of probes counts once (the stage script is one). */
  readonly sshExecsPerNode: number;
  readonly ctlPerNode: number;
  readonly sha256PerNode: number;
}

/** Remote commands per node from journal records (kind: 'exec'). */
export function execStats(records: readonly ExecRecord[], nodes: number): ExecStats {
  const ex = records.filter((r) => r.kind === 'exec' && typeof r.command === 'string');
  const per = (f: (c: string) => boolean) => (nodes ? ex.filter((r) => f(r.command!)).length / nodes : 0);
  const batches = new Set(ex.filter((r) => r.batch !== undefined).map((r) => `${r.node ?? ''}#${r.batch}`));
  const unbatched = ex.filter((r) => r.batch === undefined).length;
  return {
    perNode: per(() => true),
    sshExecsPerNode: nodes ? (unbatched + batches.size) / nodes : 0,
    ctlPerNode: per((c) => /\/bin\/emqx'? ctl /.test(c)),
    sha256PerNode: per((c) => /\bsha256sum\b/.test(c)),
  };
}
