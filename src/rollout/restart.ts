// The engine of `restart` (step 6): observe → plan (pure) → confirm → lock → per node, strictly one
// at a time: gate-before → [evacuate] → restart command → gates polled until the node is back from
// relup/<vsn>/ → soak → gates again → [rebalance stop]. Fail-closed: the first failure halts and no
// further node is touched.
import type { NodeSpec } from '../inventory/types.js';
import { describeResult } from '../remote/exec.js';
import { RolloutError } from '../util/errors.js';
import { hostOf, type RunContext } from './context.js';
import { Day2NodeFailure, day2Recovery } from './day2Recovery.js';
import { evacuateStart, evacuateStatus, evacuateStop, evacuationStarted, evacuationStopped, isDrained, parseEvacuationStatus, type EvacuationStatus } from './evacuation.js';
import { bootState } from './bootState.js';
import { acquireClusterLock, type LockHandle, type LockOwner } from './lock.js';
import { NodeFailure } from './nodeFailure.js';
import { observeNode } from './observe.js';
import { observeAll } from './observeAll.js';
import { recoverySteps } from './recovery.js';
import { emitGates, emitObserved, POLL_INTERVAL_MS, restartAndGate } from './restartNode.js';
import { judgeRestartBefore } from './restartGates.js';
import { planRestart, type RestartPlan } from './restartPlan.js';
import type { ReportRow } from './types.js';

export interface LockOptions {
  readonly owner: LockOwner;
  readonly breakLock: boolean;
  readonly pidAlive: (pid: number) => boolean;
}

export interface RestartOptions {
  readonly evacuate: boolean;
  readonly confirm: (plan: RestartPlan) => Promise<boolean>;
  readonly lock: LockOptions;
}

export type Day2Outcome = 'done' | 'blocked' | 'halted' | 'interrupted' | 'declined';

export interface RestartResult {
  readonly outcome: Day2Outcome;
  readonly plan: RestartPlan | null;
  readonly rows: readonly ReportRow[];
  readonly error?: RolloutError;
}

export type MutableRow = { -readonly [K in keyof ReportRow]: ReportRow[K] };

export async function takeLock(ctx: RunContext, lock: LockOptions): Promise<LockHandle> {
  const h = await acquireClusterLock(ctx.inv.nodes, ctx.hosts, lock.owner, {
    breakLock: lock.breakLock,
    pidAlive: lock.pidAlive,
    onTakeover: (node, prev) => ctx.emit({ type: 'log', level: 'warn', node, message: `took over the cluster lock from ${prev}` }),
  });
  ctx.emit({ type: 'log', level: 'info', message: `cluster lock taken on ${ctx.hosts.size} nodes (run ${ctx.runId})` });
  return h;
}

/** Maps what a day-2 engine threw to its outcome, emitting rollout.halted/paused like upgrade does. */
export function settleFailure(ctx: RunContext, e: unknown, mode: 'restart' | 'recover-boot', target: string | null): { outcome: Day2Outcome; error: RolloutError } {
  if (e instanceof NodeFailure) {
    const spec = ctx.inv.nodes.find((n) => n.name === e.node)!;
    const recovery = e instanceof Day2NodeFailure ? day2Recovery(e.day2, spec, target, mode) : recoverySteps(e.failure, spec, target ?? '?');
    ctx.emit({ type: 'rollout.halted', node: e.node, check: e.check, message: e.message, evidence: e.evidence, recovery });
    return { outcome: 'halted', error: e };
  }
  if (ctx.signal.aborted || (e instanceof RolloutError && e.kind === 'interrupted')) {
    const err = e instanceof RolloutError && e.kind === 'interrupted' ? e : new RolloutError('interrupted', 'interrupted', { cause: e });
    ctx.emit({ type: 'rollout.paused', reason: err.message, resumeHint: `re-run the same command to continue; nodes already done are skipped` });
    return { outcome: 'interrupted', error: err };
  }
  if (e instanceof RolloutError && e.kind === 'lock-held') return { outcome: 'halted', error: e };
  if (e instanceof RolloutError) {
    ctx.emit({ type: 'rollout.halted', message: e.message, evidence: [...e.details], recovery: [e.hint ?? 'fix the cause and re-run the same command'] });
    return { outcome: 'halted', error: new RolloutError('halted', e.message, { details: e.details, ...(e.hint ? { hint: e.hint } : {}), cause: e }) };
  }
  throw e;
}

export async function runRestart(ctx: RunContext, opts: RestartOptions): Promise<RestartResult> {
  const { inv } = ctx;
  const t0 = ctx.now().getTime();
  ctx.emit({ type: 'rollout.started', command: 'restart', cluster: inv.cluster, runId: ctx.runId, nodes: inv.nodes.map((n) => n.name) });

  ctx.emit({ type: 'step.started', node: '*', step: 'preflight', detail: `observing ${inv.nodes.length} nodes` });
  const facts = await observeAll(ctx, null);
  const plan = planRestart(inv, facts);
  for (const f of plan.findings) ctx.emit({ type: 'preflight.finding', ...f });
  for (const n of plan.nodes) if (n.action !== 'blocked') ctx.emit({ type: 'log', level: 'info', node: n.name, message: `${n.action === 'restart' ? `will restart into relup/${n.target}/` : 'skip'}: ${n.reason}` });
  ctx.record({ kind: 'restart.plan', runId: ctx.runId, nodes: plan.nodes });
  ctx.emit({ type: 'step.finished', node: '*', step: 'preflight', ok: plan.canProceed, durationMs: ctx.now().getTime() - t0 });

  const rows = new Map<string, MutableRow>(plan.nodes.map((n) => [n.name, { node: n.name, from: n.version, to: n.version, outcome: n.action === 'skip' ? 'skipped' : 'untouched', gatesPassed: 0, gatesTotal: 0 }]));
  const result = (outcome: Day2Outcome, error?: RolloutError): RestartResult => ({ outcome, plan, rows: [...rows.values()], ...(error ? { error } : {}) });

  if (!plan.canProceed) {
    return result('blocked', new RolloutError('preflight-blocked', `restart blocked: ${plan.findings.length} blocker${plan.findings.length === 1 ? '' : 's'}; nothing was changed`, {
      details: plan.findings.map((b) => `[${b.code}] ${b.message}${b.fix ? ` → ${b.fix}` : ''}`),
    }));
  }
  const todo = plan.nodes.filter((n) => n.action === 'restart');
  if (todo.length === 0) {
    ctx.emit({ type: 'log', level: 'info', message: 'no node is pending a restart into a relup tree: nothing to do' });
    ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
    return result('done');
  }
  if (!(await opts.confirm(plan))) return result('declined', new RolloutError('interrupted', 'restart declined at the confirmation prompt; nothing was changed'));

  let lock: LockHandle | null = null;
  try {
    lock = await takeLock(ctx, opts.lock);
    for (const pn of todo) {
      if (ctx.stopRequested()) throw new RolloutError('interrupted', `stopped by the operator before ${pn.name}`);
      const spec = inv.nodes.find((n) => n.name === pn.name)!;
      const row = rows.get(spec.name)!;
      const t = ctx.now().getTime();
      const done = await restartOne(ctx, opts, spec, pn.target!, row);
      row.durationMs = ctx.now().getTime() - t;
      if (done === 'skipped') {
        row.outcome = 'skipped';
        continue;
      }
      row.outcome = 'restarted';
      row.to = pn.target;
      ctx.emit({ type: 'node.done', node: spec.name, outcome: 'restarted', from: row.from, to: pn.target, durationMs: row.durationMs, ...(row.connectionsBefore !== undefined ? { connectionsBefore: row.connectionsBefore } : {}), ...(row.connectionsAfter !== undefined ? { connectionsAfter: row.connectionsAfter } : {}) });
    }
    ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
    return result('done');
  } catch (e) {
    if (e instanceof NodeFailure) {
      const row = rows.get(e.node);
      if (row) row.outcome = 'failed';
    }
    const s = settleFailure(ctx, e, 'restart', plan.target);
    return result(s.outcome, s.error);
  } finally {
    await lock?.release();
  }
}

async function restartOne(ctx: RunContext, opts: RestartOptions, spec: NodeSpec, target: string, row: MutableRow): Promise<'restarted' | 'skipped'> {
  const host = hostOf(ctx, spec.name);
  const t = ctx.now().getTime();
  ctx.emit({ type: 'step.started', node: spec.name, step: 'gate-before' });
  const before = await observeNode(host, spec, { tarballName: null, signal: ctx.signal });
  emitObserved(ctx, before);
  const b = bootState(before);
  if (b.kind === 'booted-new' && b.target === target) {
    ctx.emit({ type: 'step.finished', node: spec.name, step: 'gate-before', ok: true, durationMs: ctx.now().getTime() - t, message: `already booted from relup/${target}/: skipped` });
    return 'skipped';
  }
  const gb = judgeRestartBefore(ctx.inv, before, target);
  emitGates(ctx, spec.name, 'before', gb);
  const bad = gb.find((g) => !g.ok);
  ctx.emit({ type: 'step.finished', node: spec.name, step: 'gate-before', ok: !bad, durationMs: ctx.now().getTime() - t });
  if (bad) throw new Day2NodeFailure(spec.name, `gate-before:${bad.gate}`, bad.message, bad.evidence ?? [], { kind: 'before-change' });
  if (before.connections !== null) row.connectionsBefore = before.connections;

  if (opts.evacuate) await evacuate(ctx, spec, before.connections);
  await restartAndGate(ctx, spec, { version: target, tree: 'relup', mode: 'restart' }, row);
  if (opts.evacuate) {
    // EMQX keeps an evacuation across a restart: without this the node would refuse clients forever.
    const r = await host.exec(evacuateStop(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    const st = await host.exec(evacuateStatus(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    const s = parseEvacuationStatus(st.stdout, st.exitCode);
    if (!evacuationStopped(r.stdout, r.exitCode) || s.kind !== 'disabled') {
      throw new Day2NodeFailure(spec.name, 'evacuate:stop', 'could not stop the evacuation after the restart', [...describeResult(r), ...describeResult(st)], { kind: 'evacuation-stop' });
    }
    ctx.emit({ type: 'log', level: 'info', node: spec.name, message: 'evacuation stopped: the node accepts clients again' });
  }
  return 'restarted';
}

async function evacuate(ctx: RunContext, spec: NodeSpec, connectionsBefore: number | null): Promise<void> {
  const host = hostOf(ctx, spec.name);
  const t = ctx.now().getTime();
  const deadline = t + ctx.inv.gates.timeoutSeconds * 1000;
  const start = evacuateStart(spec.rootDir);
  ctx.emit({ type: 'step.started', node: spec.name, step: 'evacuate', detail: start });
  const r = await host.exec(start, { timeoutMs: 30_000, signal: ctx.signal });
  ctx.record({ kind: 'evacuate.begin', runId: ctx.runId, node: spec.name, exitCode: r.exitCode });
  if (!evacuationStarted(r.stdout, r.exitCode)) {
    ctx.emit({ type: 'step.finished', node: spec.name, step: 'evacuate', ok: false, durationMs: ctx.now().getTime() - t, message: 'rebalance start refused' });
    throw new Day2NodeFailure(spec.name, 'evacuate', 'could not start the evacuation', describeResult(r), { kind: 'evacuation' });
  }
  let s: EvacuationStatus;
  let last = describeResult(r);
  for (;;) {
    const st = await host.exec(evacuateStatus(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    s = parseEvacuationStatus(st.stdout, st.exitCode);
    last = describeResult(st);
    if (isDrained(s) || ctx.now().getTime() >= deadline) break;
    await ctx.sleep(POLL_INTERVAL_MS, ctx.signal);
  }
  const ms = ctx.now().getTime() - t;
  if (!isDrained(s)) {
    const left = s.kind === 'evacuating' ? `${s.connected ?? '?'} connections left` : `node-status ${s.kind}`;
    ctx.emit({ type: 'step.finished', node: spec.name, step: 'evacuate', ok: false, durationMs: ms, message: left });
    throw new Day2NodeFailure(spec.name, 'evacuate', `not drained within ${ctx.inv.gates.timeoutSeconds}s: ${left}`, last, { kind: 'evacuation' });
  }
  ctx.emit({ type: 'step.finished', node: spec.name, step: 'evacuate', ok: true, durationMs: ms, message: `drained: ${connectionsBefore ?? '?'} → 0 connections` });
}
