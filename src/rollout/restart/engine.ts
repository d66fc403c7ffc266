// The engine of `restart` (step 6): observe → plan (pure) → confirm → lock → per node, strictly one
// at a time: gate-before → [evacuate] → restart command → gates polled until the node is back from
// relup/<vsn>/ → soak → gates again → [rebalance stop]. Fail-closed: the first failure halts and no
// further node is touched.
import type { NodeSpec } from '../../inventory/types.js';
import { describeResult } from '../../remote/exec.js';
import { RolloutError } from '../../util/errors.js';
import { hostOf, type RunContext } from '../core/context.js';
import { NodeFailure } from '../core/failure.js';
import {
  emitBlocked,
  emitDeclined,
  throwIfAborted,
  withRun,
  type Outcome,
  type InFlight,
  type LockOptions,
  type MutableRow,
} from '../core/run.js';
import {
  endEvacuationAdvice,
  evacuateStart,
  evacuateStatus,
  evacuateStop,
  isDrained,
  isEvacuating,
  judgeAccepting,
  judgeStart,
  judgeStop,
  parseEvictionStatus,
  parseRebalanceNodeStatus,
  parseRebalanceStart,
  parseRebalanceStop,
} from './evacuation.js';
import { evictionStatus } from '../../emqx/commands.js';
import type { RebalanceNodeStatus } from '../../emqx/parse/rebalance.js';
import type { ExecResult } from '../../remote/types.js';
import { bootLocationDiff, describeDiff } from '../upgrade/realInstall.js';
import { bootState } from '../observe/bootState.js';
import { observeNode } from '../observe/node.js';
import { observeAll } from '../observe/all.js';
import { emitGates, emitObserved } from '../core/emit.js';
import { POLL_INTERVAL_MS, restartAndGate } from './node.js';
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
  ctx.emit({
    type: 'rollout.started',
    command: 'restart',
    cluster: inv.cluster,
    runId: ctx.runId,
    nodes: inv.nodes.map((n) => n.name),
  });
  let plan: RestartPlan | null = null;
  const rows = new Map<string, MutableRow>(
    inv.nodes.map((n) => [
      n.name,
      { node: n.name, from: null, to: null, outcome: 'untouched', gatesPassed: 0, gatesTotal: 0 },
    ]),
  );
  const result = (outcome: Outcome, error?: RolloutError): RestartResult => ({
    outcome,
    plan,
    rows: [...rows.values()],
    ...(error ? { error } : {}),
  });
  return withRun(
    ctx,
    { mode: 'restart', target: () => plan?.target ?? null },
    async ({ flight, lock }) => {
      ctx.emit({ type: 'log', level: 'info', message: `preflight: observing ${inv.nodes.length} nodes (read-only)` });
      const facts = await observeAll(ctx, null);
      plan = planRestart(inv, facts);
      for (const n of plan.nodes)
        rows.set(n.name, {
          node: n.name,
          from: n.version,
          to: n.version,
          outcome: n.action === 'skip' ? 'skipped' : 'untouched',
          gatesPassed: 0,
          gatesTotal: 0,
        });
      for (const f of plan.findings) ctx.emit({ type: 'preflight.finding', ...f });
      for (const n of plan.nodes)
        if (n.action !== 'blocked')
          ctx.emit({
            type: 'log',
            level: 'info',
            node: n.name,
            message: `${n.action === 'restart' ? `will restart into relup/${n.target}/` : 'skip'}: ${n.reason}`,
          });
      ctx.note({ kind: 'restart.plan', runId: ctx.runId, nodes: plan.nodes });
      ctx.emit({
        type: 'log',
        level: plan.canProceed ? 'info' : 'warn',
        message: `preflight ${plan.canProceed ? 'passed' : 'BLOCKED'} in ${((ctx.now().getTime() - t0) / 1000).toFixed(1)}s`,
      });

      if (!plan.canProceed) {
        const blockers = plan.findings.filter((f) => f.severity === 'blocker');
        const err = new RolloutError(
          'preflight-blocked',
          `restart blocked: ${blockers.length} blocker${blockers.length === 1 ? '' : 's'}; nothing was changed`,
          {
            details: blockers.map((b) => `[${b.code}] ${b.message}${b.fix ? ` → ${b.fix}` : ''}`),
          },
        );
        emitBlocked(ctx, err, blockers);
        return result('blocked', err);
      }
      const todo = plan.nodes.filter((n) => n.action === 'restart');
      if (todo.length === 0) {
        ctx.emit({
          type: 'log',
          level: 'info',
          message: 'no node is pending a restart into a relup tree: nothing to do',
        });
        ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
        return result('done');
      }
      if (!(await opts.confirm(plan)))
        return result(
          'declined',
          emitDeclined(ctx, 'restart declined at the confirmation prompt; nothing was changed'),
        );
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
        ctx.emit({
          type: 'node.done',
          node: spec.name,
          outcome: 'restarted',
          from: row.from,
          to: pn.target,
          durationMs: row.durationMs,
          ...(row.connectionsBefore !== undefined ? { connectionsBefore: row.connectionsBefore } : {}),
          ...(row.connectionsAfter !== undefined ? { connectionsAfter: row.connectionsAfter } : {}),
        });
      }
      ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
      return result('done');
    },
    (outcome, error) => {
      if (outcome === 'halted' && error instanceof NodeFailure) {
        const row = rows.get(error.node);
        if (row) row.outcome = 'failed';
      }
      return result(outcome, error);
    },
  );
}

async function restartOne(
  ctx: RunContext,
  opts: RestartOptions,
  spec: NodeSpec,
  target: string,
  row: MutableRow,
  flight: InFlight,
): Promise<'restarted' | 'skipped'> {
  const host = hostOf(ctx, spec.name);
  const t = ctx.now().getTime();
  ctx.emit({ type: 'step.started', node: spec.name, step: 'gate-before' });
  const before = await observeNode(host, spec, { tarballName: null, signal: ctx.signal });
  throwIfAborted(ctx, null, `checking ${spec.name} before its restart (it was not changed)`);
  emitObserved(ctx, before);
  const b = bootState(before);
  if (b.kind === 'booted-new' && b.target === target) {
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'gate-before',
      ok: true,
      durationMs: ctx.now().getTime() - t,
      message: `already booted from relup/${target}/: skipped`,
    });
    return 'skipped';
  }
  const gb = judgeRestartBefore(ctx.inv, before, target);
  emitGates(ctx, spec.name, 'before', gb);
  const bad = gb.find((g) => !g.ok);
  ctx.emit({
    type: 'step.finished',
    node: spec.name,
    step: 'gate-before',
    ok: !bad,
    durationMs: ctx.now().getTime() - t,
  });
  if (bad)
    throw new NodeFailure(spec.name, `gate-before:${bad.gate}`, bad.message, bad.evidence ?? [], {
      kind: 'before-change',
    });
  if (before.connections !== null) row.connectionsBefore = before.connections;

  // Package installs (facts A3 "Risk"): relup/<T>/ holds the tarball's emqx_vars; booting it may look
  // for config elsewhere and drop the emqx user. Refuse before the node is stopped, with the evidence.
  const vars = before.relupVars?.[target];
  const diff = vars && before.layout ? bootLocationDiff(before.layout, vars) : [];
  if (diff.length > 0) {
    throw new NodeFailure(
      spec.name,
      'gate-before:boot-locations',
      `restarting into relup/${target}/ would boot with other locations than the node runs with now: ${describeDiff(diff)}`,
      [
        `running: etc ${before.layout!.etcDir.path} (${before.layout!.etcDir.source}), log ${before.layout!.logDir.path} (${before.layout!.logDir.source}), runner user ${before.layout!.runnerUser === null ? 'unknown' : JSON.stringify(before.layout!.runnerUser)}${before.layout!.relform ? `, ${before.layout!.relform} install` : ''}`,
        `${spec.rootDir}/relup/${target}/releases/emqx_vars: EMQX_ETC_DIR=${vars!.etcDir ?? '?'}, EMQX_LOG_DIR default ${vars!.logDir ?? '?'}, RUNNER_USER=${JSON.stringify(vars!.runnerUser ?? '?')}`,
        `fix: the node keeps running the hot-upgraded code; do not restart it into relup/${target}/ — install the ${target} deb/rpm package at the next maintenance restart (and remove ${spec.rootDir}/relup/current first, see \`emqx-rollout recover-boot\`), or confirm with EMQX that this tree boots on a package install`,
      ],
      { kind: 'before-change' },
    );
  }
  const dataDir = before.layout?.dataDir.path ?? null;
  if (opts.evacuate) await evacuate(ctx, spec, before.connections, flight, dataDir);
  await restartAndGate(
    ctx,
    spec,
    {
      version: target,
      tree: 'relup',
      mode: 'restart',
      evacuated: opts.evacuate,
      ...(opts.evacuate ? { evacuationAdvice: endEvacuationAdvice(spec, dataDir) } : {}),
    },
    row,
    flight,
  );
  if (opts.evacuate) await endEvacuation(ctx, spec, flight, dataDir);
  return 'restarted';
}

/** A ctl call retried while it answers "not yet" (facts A5), until the per-node deadline. */
async function untilSettled<T extends { kind: string }>(
  ctx: RunContext,
  spec: NodeSpec,
  what: string,
  command: string,
  parse: (r: ExecResult) => T,
  settled: (p: T) => boolean,
  deadline: number,
): Promise<{ r: ExecResult; p: T }> {
  const host = hostOf(ctx, spec.name);
  for (;;) {
    const r = await host.exec(command, { timeoutMs: 30_000, signal: ctx.signal });
    throwIfAborted(ctx, r, what);
    const p = parse(r);
    if (settled(p) || ctx.now().getTime() >= deadline) return { r, p };
    await ctx.sleep(POLL_INTERVAL_MS, ctx.signal);
  }
}

async function evacuate(
  ctx: RunContext,
  spec: NodeSpec,
  connectionsBefore: number | null,
  flight: InFlight,
  dataDir: string | null,
): Promise<void> {
  const t = ctx.now().getTime();
  const deadline = t + ctx.inv.gates.timeoutSeconds * 1000;
  const start = evacuateStart(spec.rootDir);
  throwIfAborted(ctx, null, `about to evacuate ${spec.name} (it was not changed)`);
  ctx.emit({ type: 'step.started', node: spec.name, step: 'evacuate', detail: start });
  flight.note = `${spec.name} was being evacuated and was NOT restarted: its clients may be evicted and it may refuse new ones; ${endEvacuationAdvice(spec, dataDir)}`;
  // Write-ahead: from `rebalance start` on the node may refuse clients until it is stopped.
  await ctx.commit({ kind: 'evacuate.begin', runId: ctx.runId, node: spec.name, command: start });
  // `start` exits 1 on success too (A1): the verdict is the text.
  const { r, p } = await untilSettled(
    ctx,
    spec,
    `starting the evacuation of ${spec.name}`,
    start,
    (x) => parseRebalanceStart(x.stdout, x.stderr, x.exitCode),
    (x) => judgeStart(x) !== 'retry',
    deadline,
  );
  ctx.note({
    kind: 'event',
    runId: ctx.runId,
    node: spec.name,
    type: 'evacuate.started',
    exitCode: r.exitCode,
    aborted: r.aborted,
    verdict: p.kind,
  });
  const fail = (message: string, evidence: readonly string[], msg: string) => {
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'evacuate',
      ok: false,
      durationMs: ctx.now().getTime() - t,
      message: msg,
    });
    return new NodeFailure(spec.name, 'evacuate', message, evidence, { kind: 'evacuation' });
  };
  const verdict = judgeStart(p);
  if (verdict === 'check-status') {
    // `Rebalance is already enabled`: fine if it is an evacuation (an earlier attempt of ours), not a purge/rebalance.
    const st = await host(ctx, spec).exec(evacuateStatus(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    throwIfAborted(ctx, st, `checking the evacuation of ${spec.name}`);
    if (!isEvacuating(parseRebalanceNodeStatus(st.stdout, st.stderr, st.exitCode))) {
      throw fail(
        '`rebalance start --evacuation` says a rebalance is already enabled, and it is not an evacuation',
        [...describeResult(r), ...describeResult(st)],
        'another rebalance/purge runs',
      );
    }
  } else if (verdict !== 'done') {
    const why =
      p.kind === 'error'
        ? `rebalance start refused: ${p.message}`
        : p.kind === 'crashed'
          ? 'rebalance start crashed with no output (the eviction agent is held by a purge or rebalance on this node?)'
          : `rebalance start gave no verdict (${p.kind})`;
    throw fail(`could not start the evacuation: ${why}`, describeResult(r), 'rebalance start refused');
  }
  let s: RebalanceNodeStatus;
  let last = describeResult(r);
  for (;;) {
    const st = await host(ctx, spec).exec(evacuateStatus(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    throwIfAborted(ctx, st, `waiting for ${spec.name} to drain`);
    s = parseRebalanceNodeStatus(st.stdout, st.stderr, st.exitCode);
    last = describeResult(st);
    if (isDrained(s) || ctx.now().getTime() >= deadline) break;
    await ctx.sleep(POLL_INTERVAL_MS, ctx.signal);
  }
  const ms = ctx.now().getTime() - t;
  if (!isDrained(s)) {
    const left =
      s.kind === 'enabled'
        ? `${s.connected ?? '?'} connections left (state ${s.state ?? '?'})`
        : `node-status ${s.kind}`;
    ctx.emit({ type: 'step.finished', node: spec.name, step: 'evacuate', ok: false, durationMs: ms, message: left });
    throw new NodeFailure(spec.name, 'evacuate', `not drained within ${ctx.inv.gates.timeoutSeconds}s: ${left}`, last, {
      kind: 'evacuation',
    });
  }
  ctx.emit({
    type: 'step.finished',
    node: spec.name,
    step: 'evacuate',
    ok: true,
    durationMs: ms,
    message: `drained: ${connectionsBefore ?? '?'} → 0 connections`,
  });
}

/**
 * The evacuation was restored at boot from <dataDir>/.evacuation (A1): end it, then gate on the node
 * accepting clients again (node-status `Rebalance disabled`, `Eviction status: disabled`). Right
 * after the boot `rebalance` may not be registered yet: retried within the per-node deadline.
 */
async function endEvacuation(ctx: RunContext, spec: NodeSpec, flight: InFlight, dataDir: string | null): Promise<void> {
  const t = ctx.now().getTime();
  const deadline = t + ctx.inv.gates.timeoutSeconds * 1000;
  flight.note = `${spec.name} restarted and passed its gates, but ${endEvacuationAdvice(spec, dataDir)}`;
  ctx.emit({ type: 'step.started', node: spec.name, step: 'evacuate', detail: evacuateStop(spec.rootDir) });
  const { r, p } = await untilSettled(
    ctx,
    spec,
    `stopping the evacuation of ${spec.name}`,
    evacuateStop(spec.rootDir),
    (x) => parseRebalanceStop(x.stdout, x.stderr, x.exitCode),
    (x) => judgeStop(x) !== 'retry',
    deadline,
  );
  const stopFail = (message: string, evidence: readonly string[]) => {
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'evacuate',
      ok: false,
      durationMs: ctx.now().getTime() - t,
      message,
    });
    return new NodeFailure(spec.name, 'evacuate:stop', message, evidence, { kind: 'evacuation-stop' });
  };
  if (judgeStop(p) !== 'done')
    throw stopFail(
      `could not end the evacuation after the restart (\`rebalance stop\`: ${p.kind === 'stopped' ? `stopped a ${p.what}, not an evacuation` : p.kind})`,
      describeResult(r),
    );
  let evidence: string[] = [];
  for (;;) {
    const ns = await host(ctx, spec).exec(evacuateStatus(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    throwIfAborted(ctx, ns, `checking that ${spec.name} accepts clients again`);
    const ev = await host(ctx, spec).exec(evictionStatus(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
    throwIfAborted(ctx, ev, `checking that ${spec.name} accepts clients again`);
    evidence = [...describeResult(ns), ...describeResult(ev)];
    if (
      judgeAccepting(
        parseRebalanceNodeStatus(ns.stdout, ns.stderr, ns.exitCode),
        parseEvictionStatus(ev.stdout, ev.stderr, ev.exitCode),
      ) === 'done'
    )
      break;
    if (ctx.now().getTime() >= deadline)
      throw stopFail(
        `${spec.name} still refuses clients after \`rebalance stop\` (node-status or eviction status not disabled within ${ctx.inv.gates.timeoutSeconds}s)`,
        evidence,
      );
    await ctx.sleep(POLL_INTERVAL_MS, ctx.signal);
  }
  await ctx.commit({ kind: 'evacuate.end', runId: ctx.runId, node: spec.name, stopped: true });
  ctx.emit({
    type: 'step.finished',
    node: spec.name,
    step: 'evacuate',
    ok: true,
    durationMs: ctx.now().getTime() - t,
    message: 'evacuation ended: the node accepts clients again',
  });
  ctx.emit({
    type: 'log',
    level: 'info',
    node: spec.name,
    message: 'evacuation stopped: the node accepts clients again',
  });
}

function host(ctx: RunContext, spec: NodeSpec) {
  return hostOf(ctx, spec.name);
}
