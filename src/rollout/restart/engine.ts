// The engine of `restart` (step 6): observe → plan (pure) → confirm → lock → per node, strictly one
// at a time: gate-before → [evacuate] → restart command → gates polled until the node is back from
// relup/<vsn>/ → soak → gates again → [rebalance stop]. Fail-closed: the first failure halts and no
// further node is touched.
import type { NodeSpec } from '../../inventory/types.js';
import { describeResult } from '../../remote/exec.js';
import { RolloutError } from '../../util/errors.js';
import { hostOf, type RunContext } from '../core/context.js';
import { NodeFailure } from '../core/failure.js';
import { emitBlocked, emitDeclined, throwIfAborted, withRun, type Outcome, type InFlight, type LockOptions, type MutableRow } from '../core/run.js';
import { evacuateStart, evacuateStatus, evacuateStop, evacuationStarted, evacuationStopped, isDrained, parseEvacuationStatus, type EvacuationStatus } from './evacuation.js';
import { bootState } from '../observe/bootState.js';
import { observeNode } from '../observe/node.js';
import { observeAll } from '../observe/all.js';
import { emitGates, emitObserved, POLL_INTERVAL_MS, restartAndGate } from './node.js';
import { judgeRestartBefore } from './gates.js';
import { planRestart, type RestartPlan } from './plan.js';
import type { ReportRow } from '../core/types.js';

export type { Outcome, LockOptions, MutableRow } from '../core/run.js';

export interface RestartOptions {
  readonly evacuate: boolean;
  readonly confirm: (plan: RestartPlan) => Promise<boolean>;
  readonly lock: LockOptions;
}

export interface RestartResult {
  readonly outcome: Outcome;
  readonly plan: RestartPlan | null;
  readonly rows: readonly ReportRow[];
  readonly error?: RolloutError;
}

export async function runRestart(ctx: RunContext, opts: RestartOptions): Promise<RestartResult> {
  const { inv } = ctx;
  const t0 = ctx.now().getTime();
  ctx.emit({ type: 'rollout.started', command: 'restart', cluster: inv.cluster, runId: ctx.runId, nodes: inv.nodes.map((n) => n.name) });
  let plan: RestartPlan | null = null;
  const rows = new Map<string, MutableRow>(inv.nodes.map((n) => [n.name, { node: n.name, from: null, to: null, outcome: 'untouched', gatesPassed: 0, gatesTotal: 0 }]));
  const result = (outcome: Outcome, error?: RolloutError): RestartResult => ({ outcome, plan, rows: [...rows.values()], ...(error ? { error } : {}) });
  return withRun(ctx, { mode: 'restart', target: () => plan?.target ?? null }, async ({ flight, lock }) => {
    ctx.emit({ type: 'log', level: 'info', message: `preflight: observing ${inv.nodes.length} nodes (read-only)` });
    const facts = await observeAll(ctx, null);
    plan = planRestart(inv, facts);
    for (const n of plan.nodes) rows.set(n.name, { node: n.name, from: n.version, to: n.version, outcome: n.action === 'skip' ? 'skipped' : 'untouched', gatesPassed: 0, gatesTotal: 0 });
    for (const f of plan.findings) ctx.emit({ type: 'preflight.finding', ...f });
    for (const n of plan.nodes) if (n.action !== 'blocked') ctx.emit({ type: 'log', level: 'info', node: n.name, message: `${n.action === 'restart' ? `will restart into relup/${n.target}/` : 'skip'}: ${n.reason}` });
    ctx.note({ kind: 'restart.plan', runId: ctx.runId, nodes: plan.nodes });
    ctx.emit({ type: 'log', level: plan.canProceed ? 'info' : 'warn', message: `preflight ${plan.canProceed ? 'passed' : 'BLOCKED'} in ${((ctx.now().getTime() - t0) / 1000).toFixed(1)}s` });

    if (!plan.canProceed) {
      const blockers = plan.findings.filter((f) => f.severity === 'blocker');
      const err = new RolloutError('preflight-blocked', `restart blocked: ${blockers.length} blocker${blockers.length === 1 ? '' : 's'}; nothing was changed`, {
        details: blockers.map((b) => `[${b.code}] ${b.message}${b.fix ? ` → ${b.fix}` : ''}`),
      });
      emitBlocked(ctx, err, blockers);
      return result('blocked', err);
    }
    const todo = plan.nodes.filter((n) => n.action === 'restart');
    if (todo.length === 0) {
      ctx.emit({ type: 'log', level: 'info', message: 'no node is pending a restart into a relup tree: nothing to do' });
      ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
      return result('done');
    }
    if (!(await opts.confirm(plan))) return result('declined', emitDeclined(ctx, 'restart declined at the confirmation prompt; nothing was changed'));
    throwIfAborted(ctx, null, 'taking the cluster lock (nothing was changed)');

    await lock(opts.lock);
    for (const pn of todo) {
      if (ctx.stopRequested()) throw new RolloutError('interrupted', `stopped by the operator before ${pn.name}`);
      const spec = inv.nodes.find((n) => n.name === pn.name)!;
      const row = rows.get(spec.name)!;
      const t = ctx.now().getTime();
      const done = await restartOne(ctx, opts, spec, pn.target!, row, flight);
      flight.note = null;
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
  }, (outcome, error) => {
    if (outcome === 'halted' && error instanceof NodeFailure) {
      const row = rows.get(error.node);
      if (row) row.outcome = 'failed';
    }
    return result(outcome, error);
  });
}

async function restartOne(ctx: RunContext, opts: RestartOptions, spec: NodeSpec, target: string, row: MutableRow, flight: InFlight): Promise<'restarted' | 'skipped'> {
  const host = hostOf(ctx, spec.name);
  const t = ctx.now().getTime();
  ctx.emit({ type: 'step.started', node: spec.name, step: 'gate-before' });
  const before = await observeNode(host, spec, { tarballName: null, signal: ctx.signal });
  throwIfAborted(ctx, null, `checking ${spec.name} before its restart (it was not changed)`);
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
  if (bad) throw new NodeFailure(spec.name, `gate-before:${bad.gate}`, bad.message, bad.evidence ?? [], { kind: 'before-change' });
  if (before.connections !== null) row.connectionsBefore = before.connections;

  if (opts.evacuate) await evacuate(ctx, spec, before.connections, flight);
  await restartAndGate(ctx, spec, { version: target, tree: 'relup', mode: 'restart', evacuated: opts.evacuate }, row, flight);
  if (opts.evacuate) {
    // EMQX keeps an evacuation across a restart: without this the node would refuse clients forever.
    flight.note = `${spec.name} restarted and passed its gates, but its evacuation may still be active — run \`${spec.rootDir}/bin/emqx ctl rebalance stop\` to re-admit clients`;
    const r = await host.exec(evacuateStop(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    throwIfAborted(ctx, r, `stopping the evacuation of ${spec.name}`);
    const st = await host.exec(evacuateStatus(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    throwIfAborted(ctx, st, `checking the evacuation of ${spec.name}`);
    const s = parseEvacuationStatus(st.stdout, st.exitCode);
    if (!evacuationStopped(r.stdout, r.exitCode) || s.kind !== 'disabled') {
      throw new NodeFailure(spec.name, 'evacuate:stop', 'could not stop the evacuation after the restart', [...describeResult(r), ...describeResult(st)], { kind: 'evacuation-stop' });
    }
    await ctx.commit({ kind: 'evacuate.end', runId: ctx.runId, node: spec.name, stopped: true });
    ctx.emit({ type: 'log', level: 'info', node: spec.name, message: 'evacuation stopped: the node accepts clients again' });
  }
  return 'restarted';
}

async function evacuate(ctx: RunContext, spec: NodeSpec, connectionsBefore: number | null, flight: InFlight): Promise<void> {
  const host = hostOf(ctx, spec.name);
  const t = ctx.now().getTime();
  const deadline = t + ctx.inv.gates.timeoutSeconds * 1000;
  const start = evacuateStart(spec.rootDir);
  throwIfAborted(ctx, null, `about to evacuate ${spec.name} (it was not changed)`);
  ctx.emit({ type: 'step.started', node: spec.name, step: 'evacuate', detail: start });
  flight.note = `${spec.name} was being evacuated and was NOT restarted: its clients may be evicted and it may refuse new ones — re-admit them with \`${spec.rootDir}/bin/emqx ctl rebalance stop\``;
  await ctx.commit({ kind: 'evacuate.begin', runId: ctx.runId, node: spec.name, command: start });
  const r = await host.exec(start, { timeoutMs: 30_000, signal: ctx.signal });
  throwIfAborted(ctx, r, `starting the evacuation of ${spec.name}`);
  if (!evacuationStarted(r.stdout, r.exitCode)) {
    ctx.emit({ type: 'step.finished', node: spec.name, step: 'evacuate', ok: false, durationMs: ctx.now().getTime() - t, message: 'rebalance start refused' });
    throw new NodeFailure(spec.name, 'evacuate', 'could not start the evacuation', describeResult(r), { kind: 'evacuation' });
  }
  let s: EvacuationStatus;
  let last = describeResult(r);
  for (;;) {
    const st = await host.exec(evacuateStatus(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    throwIfAborted(ctx, st, `waiting for ${spec.name} to drain`);
    s = parseEvacuationStatus(st.stdout, st.exitCode);
    last = describeResult(st);
    if (isDrained(s) || ctx.now().getTime() >= deadline) break;
    await ctx.sleep(POLL_INTERVAL_MS, ctx.signal);
  }
  const ms = ctx.now().getTime() - t;
  if (!isDrained(s)) {
    const left = s.kind === 'evacuating' ? `${s.connected ?? '?'} connections left` : `node-status ${s.kind}`;
    ctx.emit({ type: 'step.finished', node: spec.name, step: 'evacuate', ok: false, durationMs: ms, message: left });
    throw new NodeFailure(spec.name, 'evacuate', `not drained within ${ctx.inv.gates.timeoutSeconds}s: ${left}`, last, { kind: 'evacuation' });
  }
  ctx.emit({ type: 'step.finished', node: spec.name, step: 'evacuate', ok: true, durationMs: ms, message: `drained: ${connectionsBefore ?? '?'} → 0 connections` });
}
