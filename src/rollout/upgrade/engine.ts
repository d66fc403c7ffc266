// The rollout engine for `upgrade`: observe → preflight → plan → confirm → lock → stage (parallel,
// pipelined with the chain) → per node, strictly one at a time: gate-before → backup → relup upgrade
// → gates-after → soak → gates again. Fail-closed: the first failure halts and no further node is
// touched. The pipeline's three invariants are written where runUpgrade starts the chain.
import PQueue from 'p-queue';
import * as cmd from '../../emqx/commands.js';
import { parseRelupUpgrade } from '../../emqx/parse/relupUpgrade.js';
import type { NodeSpec, WindowSpec } from '../../inventory/types.js';
import { describeResult } from '../../remote/exec.js';
import type { ExecResult } from '../../remote/types.js';
import { RolloutError, errorMessage } from '../../util/errors.js';
import { backupCommand, backupName, sidecarPathOf } from './actions.js';
import { atPausePoint, type Approval } from './approval.js';
import { execAsLogin, stageModesCommand } from '../../remote/become.js';
import { shq } from '../../util/shellQuote.js';
import { detectTransient } from '../../emqx/parse/transient.js';
import { classifyEmptyUpgrade, type EmptyFailureClass } from './emptyFailure.js';
import { definiteVerdict, failureOfFailedHop, hopApplied, judgeInFlight, parseBackupLine } from './verdicts.js';
import { hostOf, type RunContext } from '../core/context.js';
import type { NodeFacts } from '../core/facts.js';
import { judgeAfter, judgeBefore, renderTemplate } from './gates.js';
import { closeMqttProbes, startMqttGate, type MqttProbe } from './mqttProbe.js';
import { emitGates, emitObserved } from '../core/emit.js';
import { emitDeclined, withRun, type LockOptions, type Outcome } from '../core/run.js';
import { observeNode, observeStaged, type ObserveOptions, type PhaseOptions } from '../observe/node.js';
import { describeRelupStatus } from '../observe/all.js';
import { observeAndPlan } from './planRun.js';
import { stagedPath } from './plan.js';
import { NodeFailure, type FailureCase } from '../core/failure.js';
import type { InFlight, RunMeta, Ungated } from '../state/resume.js';
import type { Plan, ReportRow, TarballInfo } from '../core/types.js';
import { describeWindow, mayStartNode } from './window.js';

export type WindowMode = 'enforce' | 'wait' | 'ignore';

export interface UpgradeOptions {
  readonly tarball: TarballInfo;
  readonly sidecar: { readonly path: string; readonly sha256: string };
  readonly force: boolean;
  readonly noBackup: boolean;
  readonly pauseAfter: number | null;
  /** Who decides at the --pause-after point, and how (approval.ts). Default: nobody, end paused. */
  readonly approval?: Approval;
  readonly window: WindowSpec | undefined;
  readonly windowMode: WindowMode;
  /** Upload parallelism across nodes. */
  readonly stageConcurrency: number;
  readonly confirm: (plan: Plan) => Promise<boolean>;
  readonly lock: LockOptions;
  /** From the journal: nodes whose upgrade began in an earlier run without a recorded end. */
  readonly inFlight: ReadonlyMap<string, InFlight>;
  /** From the journal: nodes whose hop completed but whose gates never passed. */
  readonly ungated: ReadonlyMap<string, Ungated>;
  /** With --resume: the run being resumed (its fingerprint must still match the cluster). */
  readonly resumeOf: RunMeta | null;
}

export type { Outcome } from '../core/run.js';

export interface UpgradeResult {
  readonly outcome: Outcome;
  readonly plan: Plan | null;
  readonly rows: readonly ReportRow[];
  /** For every outcome but 'done': the typed error the CLI maps to an exit code. */
  readonly error?: RolloutError;
}

type MutableRow = { -readonly [K in keyof ReportRow]: ReportRow[K] };

export async function runUpgrade(ctx: RunContext, opts: UpgradeOptions): Promise<UpgradeResult> {
  const { inv } = ctx;
  const target = opts.tarball.version;
  const t0 = ctx.now().getTime();
  ctx.emit({
    type: 'rollout.started',
    command: 'upgrade',
    cluster: inv.cluster,
    runId: ctx.runId,
    nodes: inv.nodes.map((n) => n.name),
    to: target,
    ...(opts.window ? { window: describeWindow(opts.window) } : {}),
    ...(opts.resumeOf ? { resumed: true } : {}),
  });

  // ---- observe + preflight + plan (read-only) ------------------------------------------------
  ctx.emit({ type: 'log', level: 'info', message: `preflight: observing ${inv.nodes.length} nodes (read-only)` });
  const { facts, findings, plan } = await observeAndPlan(ctx, opts.tarball, opts);
  ctx.emit({
    type: 'log',
    level: plan.canProceed ? 'info' : 'warn',
    message: `preflight ${plan.canProceed ? 'passed' : 'BLOCKED'} in ${((ctx.now().getTime() - t0) / 1000).toFixed(1)}s`,
  });

  const rows = new Map<string, MutableRow>(
    inv.nodes.map((n) => {
      const f = facts.find((x) => x.node === n.name);
      return [
        n.name,
        {
          node: n.name,
          from: f?.version ?? null,
          to: f?.version ?? null,
          outcome: 'untouched',
          gatesPassed: 0,
          gatesTotal: 0,
        },
      ];
    }),
  );
  const result = (outcome: Outcome, error?: RolloutError): UpgradeResult => ({
    outcome,
    plan,
    rows: [...rows.values()],
    ...(error ? { error } : {}),
  });

  if (!plan.canProceed) {
    const blockers = findings.filter((f) => f.severity === 'blocker');
    const e = new RolloutError(
      'preflight-blocked',
      `preflight blocked the rollout: ${blockers.length} blocker${blockers.length === 1 ? '' : 's'}; nothing was changed`,
      {
        details: blockers.map((b) => `[${b.code}] ${b.message}${b.fix ? ` → ${b.fix}` : ''}`),
      },
    );
    // Every stream ends with a terminal event, so a script reading --json knows why it stopped.
    ctx.emit({
      type: 'rollout.halted',
      check: 'preflight',
      message: e.message,
      evidence: blockers.map((b) => `[${b.code}] ${b.message}`),
      recovery: [...new Set(blockers.map((b) => b.fix ?? 'fix the cause and re-run'))],
    });
    return result('blocked', e);
  }
  for (const n of plan.nodes) if (n.action === 'skip') rows.get(n.name)!.outcome = 'skipped';

  const todo = plan.nodes.filter((n) => n.action === 'upgrade' || n.action === 'regate' || opts.inFlight.has(n.name));
  if (todo.length === 0) {
    ctx.emit({ type: 'log', level: 'info', message: `every node already runs ${target}: nothing to do` });
    ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
    return result('done');
  }

  if (!(await opts.confirm(plan))) {
    return result('declined', emitDeclined(ctx, 'rollout declined at the confirmation prompt; nothing was changed'));
  }

  // The window is checked before anything is written to a node: outside it, not even the lock or
  // the staged tarball lands. (Each later node is checked again before it starts.)
  const closed = await awaitWindow(
    ctx,
    opts,
    inv.nodes.find((n) => n.name === todo[0].name)!,
  );
  if (closed) return result('paused', closed);

  // ---- lock → stage → nodes ------------------------------------------------------------------
  return withRun(
    ctx,
    { mode: 'upgrade', target: () => target },
    async (scope) => {
      await scope.lock(opts.lock);
      // Only a run that holds the lock becomes "the last run" that --resume continues: a run that lost
      // the lock (exit 6) or was blocked changed nothing, and must not hide the run that did.
      await ctx.commit({
        kind: 'run.meta',
        runId: ctx.runId,
        command: 'upgrade',
        fingerprint: plan.fingerprint,
        cluster: inv.cluster,
        from: plan.from,
        to: target,
        sha256: opts.tarball.sha256,
        nodes: inv.nodes.map((n) => n.name),
      });

      // ---- the pipeline ----------------------------------------------------------------------
      // Invariants (each kept where it says):
      //  1. No node's hop starts before the previous node's gates (after soak) passed: this loop is
      //     strictly serial, and a prefetch (below) only observes, it never acts.
      //  2. Every fact used to admit a node was observed after the previous node's hop completed:
      //     node k's gate-before is prefetched only from inside node k-1's last gate round (after its
      //     hop; `onLastRound` in gateAndSoak), and facts older than PREFETCH_FRESH_MS when used are
      //     observed again (a pause for approval or a window wait outlives them).
      //  3. A node's gates wait for that node's staging (uploaded and sha256-verified on the node);
      //     uploads to later nodes go on meanwhile. A staging failure anywhere stops the chain before
      //     the next hop: nodes already upgraded are proven and stay; nothing else is touched.
      const staging = startStaging(
        ctx,
        opts,
        todo.map((n) => n.name),
        rows,
      );
      const isPlain = (pn: (typeof todo)[number] | undefined) =>
        pn !== undefined && pn.action === 'upgrade' && !opts.inFlight.has(pn.name);
      const prefetches = new Map<string, Prefetch>();
      const prefetch = (pn: (typeof todo)[number] | undefined) => {
        if (!isPlain(pn) || prefetches.has(pn!.name)) return;
        const spec = inv.nodes.find((n) => n.name === pn!.name)!;
        prefetches.set(spec.name, startPrefetch(ctx, opts, spec, staging.isReady(spec.name)));
      };
      // Node 1's gate-before probes run while its tarball uploads (its staged check follows the upload).
      prefetch(todo[0]);
      let ended: UpgradeResult | null;
      try {
        ended = await runChain();
      } catch (e) {
        // A halt or an interruption: stop the uploads still running, and let them settle before the
        // run ends (no upload outlives the report).
        staging.cancel();
        await staging.settled;
        throw e;
      }
      // Done, or paused: a pause lets every upload finish, so the next run finds the nodes staged.
      await staging.settled;
      return ended ?? result('done');

      async function runChain(): Promise<UpgradeResult | null> {
        let upgradedThisRun = 0;
        let pauseAfter = opts.pauseAfter;
        for (const pn of todo) {
          const spec = inv.nodes.find((n) => n.name === pn.name)!;
          const row = rows.get(spec.name)!;
          if (ctx.stopRequested()) throw new RolloutError('interrupted', `stopped by the operator before ${spec.name}`);
          if (pauseAfter !== null && upgradedThisRun >= pauseAfter) {
            // approval.ts: end paused (exit 5), or ask a human and go on once approved.
            const stop = await atPausePoint(ctx, opts.approval ?? { kind: 'none' }, {
              pauseAfter,
              upgraded: upgradedThisRun,
              nextNode: spec.name,
              remaining: todo.length - todo.indexOf(pn),
              rows: [...rows.values()],
            });
            if (stop) return result('paused', stop);
            pauseAfter = null; // approved: the rest of the run goes on without another stop
          }
          const paused = await awaitWindow(ctx, opts, spec);
          if (paused) return result('paused', paused);

          await staging.ready(spec.name); // this node staged + verified (or the first staging failure)
          const inflight = opts.inFlight.get(spec.name);
          const t = ctx.now().getTime();
          const next = todo[todo.indexOf(pn) + 1];
          const onLastRound = () => prefetch(next);
          let summary: 'upgraded' | 'skipped';
          // Where this node is, for a connection that dies under a command (connectionLost).
          const where: Where = { stage: pn.action === 'regate' && !inflight ? 'after' : inflight ? 'hop' : 'before' };
          try {
            if (pn.action === 'regate' && !inflight) {
              ctx.emit({ type: 'log', level: 'warn', node: spec.name, message: pn.reason ?? 're-gating' });
              // The baseline the interrupted run measured before the hop, so a collapse is still caught.
              const base = opts.ungated.get(spec.name)?.connectionsBefore;
              if (base !== null && base !== undefined) row.connectionsBefore = base;
              await gateAndSoak(ctx, spec, row, target, null, null, onLastRound);
              summary = 'upgraded';
            } else {
              const settled = inflight ? await settleInFlight(ctx, spec, inflight, row, onLastRound) : 'not-started';
              summary =
                settled === 'not-started'
                  ? await upgradeNode(
                      ctx,
                      opts,
                      spec,
                      row,
                      pn.from ?? inflight!.from,
                      prefetches.get(spec.name),
                      onLastRound,
                      () => staging.failure(),
                      where,
                    )
                  : settled;
            }
          } catch (e) {
            throw connectionLost(e, spec.name, where);
          }
          prefetches.delete(spec.name);
          row.durationMs = ctx.now().getTime() - t;
          if (summary === 'skipped') {
            row.outcome = 'skipped';
            continue;
          }
          row.outcome = 'upgraded';
          row.to = target;
          upgradedThisRun++;
          ctx.emit({
            type: 'node.done',
            node: spec.name,
            outcome: 'upgraded',
            from: row.from,
            to: target,
            durationMs: row.durationMs,
            ...(row.connectionsBefore !== undefined ? { connectionsBefore: row.connectionsBefore } : {}),
            ...(row.connectionsAfter !== undefined ? { connectionsAfter: row.connectionsAfter } : {}),
          });
        }
        ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
        return null;
      }
    },
    (outcome, error) => {
      if (error instanceof NodeFailure) {
        const row = rows.get(error.node);
        if (row) row.outcome = 'failed';
      }
      return result(outcome, error);
    },
  ).finally(() => closeMqttProbes(ctx)); // a halted or interrupted node's MQTT probe
}

async function awaitWindow(ctx: RunContext, opts: UpgradeOptions, spec: NodeSpec): Promise<RolloutError | null> {
  if (!opts.window || opts.windowMode === 'ignore') return null;
  // A node may take the whole upgrade deadline, its soak, and the second gate round.
  const estimateMs = (ctx.inv.gates.timeoutSeconds + ctx.inv.gates.soakSeconds) * 1000;
  for (;;) {
    const may = mayStartNode(opts.window, ctx.now(), estimateMs);
    if (may.ok) return null;
    if (opts.windowMode === 'wait') {
      ctx.emit({
        type: 'log',
        level: 'info',
        node: spec.name,
        message: `${may.reason}; waiting until ${may.retryAt.toISOString()}`,
      });
      await ctx.sleep(Math.max(1000, may.retryAt.getTime() - ctx.now().getTime()), ctx.signal);
      continue;
    }
    const e = new RolloutError('paused', `maintenance window: ${may.reason}`);
    ctx.emit({
      type: 'rollout.paused',
      reason: e.message,
      resumeHint: `re-run inside the window (next opening ${may.retryAt.toISOString()}); to wait instead, keep the window in the inventory and pass --window wait`,
      nextNode: spec.name,
    });
    return e;
  }
}

/** Where a node is in its upgrade: decides what a connection lost under a command means. */
interface Where {
  stage: 'before' | 'hop' | 'after';
}

/**
 * A connection that died under a command (remote/exec.ts) is that node's failure, with the node and
 * what it means for it: untouched before the hop, unknown while the hop ran (the next run re-observes,
 * never re-sends: the write-ahead `upgrade.begin` has no end), applied during its gates.
 */
function connectionLost(e: unknown, node: string, where: Where): unknown {
  if (!(e instanceof RolloutError) || e instanceof NodeFailure || e.kind !== 'remote') return e;
  const what =
    where.stage === 'before'
      ? 'before its hop'
      : where.stage === 'hop'
        ? 'while `relup upgrade` ran'
        : 'during its gates, after the hop';
  return new NodeFailure(node, 'connection', `connection lost ${what}: ${e.message}`, [...e.details], {
    kind: 'connection-lost',
    during: where.stage,
  });
}

interface Staging {
  /** Resolves once `name` is staged and verified; rejects with the first staging failure anywhere. */
  ready(name: string): Promise<void>;
  isReady(name: string): boolean;
  /** The first staging failure, if any (the chain stops before the next hop). */
  failure(): NodeFailure | null;
  cancel(): void;
  /** Every upload ended (never rejects). */
  readonly settled: Promise<void>;
}

/**
 * Uploads to every node while the chain runs: node 1 first and alone, then the rest
 * `stageConcurrency` at a time in chain order. Node k's gates wait only for node k (see the pipeline
 * invariants in runUpgrade).
 */
function startStaging(
  ctx: RunContext,
  opts: UpgradeOptions,
  names: readonly string[],
  rows: Map<string, MutableRow>,
): Staging {
  const queue = new PQueue({ concurrency: Math.max(1, opts.stageConcurrency) });
  const failures: NodeFailure[] = [];
  const done = new Set<string>();
  const stageCtl = new AbortController();
  const onAbort = () => stageCtl.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const perNode = new Map<string, Promise<void>>();
  // The first node uploads alone, at the link's full speed: the chain waits only for it. The others
  // follow, stageConcurrency at a time in chain order, while node 1 is gated and upgraded; node k is
  // needed only after k − 1 nodes' hops and gates, which take longer than its upload.
  let firstDone: Promise<void> = Promise.resolve();
  for (const [i, name] of names.entries()) {
    const after = firstDone;
    const upload = after.then(() =>
      queue.add(async () => {
        if (stageCtl.signal.aborted) return;
        const spec = ctx.inv.nodes.find((n) => n.name === name)!;
        const host = hostOf(ctx, name);
        const remote = stagedPath(spec, opts.tarball);
        const t = ctx.now().getTime();
        ctx.emit({
          type: 'step.started',
          node: name,
          step: 'stage',
          detail: `${opts.tarball.fileName} → ${spec.stagingDir}/`,
        });
        try {
          const r = await host.stage(opts.tarball.path, remote, opts.tarball.sha256, {
            signal: stageCtl.signal,
            onProgress: (p) =>
              ctx.emit({
                type: 'stage.progress',
                node: name,
                file: opts.tarball.fileName,
                bytesDone: p.bytesDone,
                bytesTotal: p.bytesTotal,
                rate: p.rate,
                done: false,
              }),
          });
          await host.stage(opts.sidecar.path, sidecarPathOf(remote), opts.sidecar.sha256, { signal: stageCtl.signal });
          // The handler reads both inside the VM, as the EMQX user (facts A4): not only as the uploader.
          const modes = await execAsLogin(
            host,
            `${stageModesCommand(remote)} && chmod 0644 -- ${shq(sidecarPathOf(remote))}`,
            { timeoutMs: 30_000, signal: stageCtl.signal },
          );
          if (modes.exitCode !== 0)
            throw new RolloutError('remote', `${name}: could not make the staged files readable for the EMQX user`, {
              details: describeResult(modes),
            });
          rows.get(name)!.staged = r.action;
          done.add(name);
          const durationMs = r.durationMs;
          ctx.emit({
            type: 'stage.progress',
            node: name,
            file: opts.tarball.fileName,
            bytesDone: opts.tarball.size,
            bytesTotal: opts.tarball.size,
            rate: durationMs > 0 ? (r.bytesSent * 1000) / durationMs : 0,
            action: r.action,
            done: true,
          });
          ctx.emit({
            type: 'step.finished',
            node: name,
            step: 'stage',
            ok: true,
            durationMs: ctx.now().getTime() - t,
            message: r.action === 'present' ? 'already staged (sha256 matches)' : `${r.action}, verified`,
          });
        } catch (e) {
          ctx.emit({
            type: 'step.finished',
            node: name,
            step: 'stage',
            ok: false,
            durationMs: ctx.now().getTime() - t,
            message: errorMessage(e),
          });
          const details = e instanceof RolloutError ? [...e.details, ...(e.hint ? [`→ ${e.hint}`] : [])] : [];
          failures.push(
            new NodeFailure(name, 'stage', `staging failed: ${errorMessage(e)}`, details, { kind: 'before-change' }),
          );
          stageCtl.abort(new Error('another node failed staging'));
        }
      }),
    );
    perNode.set(name, upload);
    if (i === 0) firstDone = upload;
  }
  const settled = Promise.all(perNode.values()).then(() => ctx.signal.removeEventListener('abort', onAbort));
  const failure = () => failures[0] ?? null;
  return {
    async ready(name) {
      await perNode.get(name);
      if (ctx.signal.aborted)
        throw new RolloutError('interrupted', `interrupted while staging ${name}; it was not upgraded`, {
          cause: ctx.signal.reason,
        });
      const f = failure();
      if (f) throw f;
    },
    isReady: (name) => done.has(name),
    failure,
    cancel: () => stageCtl.abort(new Error('the run stopped')),
    settled,
  };
}

/** How long a re-run awaits an earlier upgrade the VM is still running (relup status in-progress). */
const IN_PROGRESS_WAIT_S = 120;

/** Prefetched facts older than this when their node's turn comes are observed again (invariant 2). */
const PREFETCH_FRESH_MS = 10_000;

/** A gate-before observation started ahead of its node's turn (read-only). */
interface Prefetch {
  readonly facts: Promise<NodeFacts>;
  /** When the observation finished (ms), once it has. */
  doneAt: number | null;
}

/** gate-before's observation: the staged probes only once the node's upload is verified (`staged`). */
function gateBeforeOptions(ctx: RunContext, opts: UpgradeOptions, staged: boolean): ObserveOptions & PhaseOptions {
  return {
    phase: 'gate-before',
    tarballName: staged ? opts.tarball.fileName : null,
    staged: { size: opts.tarball.size, sha256: opts.tarball.sha256 },
    signal: ctx.signal,
  };
}

function startPrefetch(ctx: RunContext, opts: UpgradeOptions, spec: NodeSpec, staged: boolean): Prefetch {
  const p: Prefetch = {
    // Still uploading: the staged probes run after the upload (observeStaged), the rest now.
    facts: observeNode(hostOf(ctx, spec.name), spec, gateBeforeOptions(ctx, opts, staged)).then((f) => {
      p.doneAt = ctx.now().getTime();
      return f;
    }),
    doneAt: null,
  };
  p.facts.catch(() => undefined); // used (and its error seen) only if its node's turn comes
  return p;
}

/** gate-before's facts: the prefetch when fresh (plus the staged probes if it ran before the upload ended). */
async function gateBeforeFacts(
  ctx: RunContext,
  opts: UpgradeOptions,
  spec: NodeSpec,
  pre: Prefetch | undefined,
): Promise<NodeFacts> {
  const host = hostOf(ctx, spec.name);
  let f: NodeFacts | null = null;
  if (pre) {
    try {
      const got = await pre.facts;
      if (pre.doneAt !== null && ctx.now().getTime() - pre.doneAt <= PREFETCH_FRESH_MS) f = got;
    } catch (e) {
      if (ctx.signal.aborted || (e instanceof RolloutError && e.kind === 'interrupted')) throw e;
      f = null; // observe again below: that error, if it repeats, is the one reported
    }
  }
  if (!f) return observeNode(host, spec, gateBeforeOptions(ctx, opts, true));
  if (f.stagedBySize || f.privilege || !f.reachable) return f;
  const st = await observeStaged(host, spec, opts.tarball.fileName, f.layout, { signal: ctx.signal });
  return { ...f, ...st, evidence: [...f.evidence, ...st.evidence] };
}

async function upgradeNode(
  ctx: RunContext,
  opts: UpgradeOptions,
  spec: NodeSpec,
  row: MutableRow,
  from: string,
  pre: Prefetch | undefined,
  onLastRound: () => void,
  stagingFailure: () => NodeFailure | null,
  where: Where,
): Promise<'upgraded' | 'skipped'> {
  const host = hostOf(ctx, spec.name);
  const target = opts.tarball.version;
  const deadlineMs = ctx.inv.gates.timeoutSeconds * 1000;
  where.stage = 'before';

  // gate-before: the world may have moved since preflight (another operator, a crash).
  let t = ctx.now().getTime();
  ctx.emit({ type: 'step.started', node: spec.name, step: 'gate-before' });
  const before = await gateBeforeFacts(ctx, opts, spec, pre);
  emitObserved(ctx, before);
  if (before.version === target) {
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'gate-before',
      ok: true,
      durationMs: ctx.now().getTime() - t,
      message: `already at ${target}: skipped`,
    });
    return 'skipped';
  }
  const gb = judgeBefore(ctx.inv, before, { from, sha256: opts.tarball.sha256, size: opts.tarball.size });
  // gates.mqtt: once the node passed the rest, a probe client connects and runs across the hop.
  const mq = gb.every((g) => g.ok) ? await startMqttGate(ctx, spec) : null;
  if (mq) gb.push(mq.gate);
  emitGates(ctx, spec.name, 'before', gb);
  // The report counts every gate the node went through, the same ones the live view shows.
  row.gatesTotal += gb.length;
  row.gatesPassed += gb.filter((g) => g.ok).length;
  const badBefore = gb.find((g) => !g.ok);
  ctx.emit({
    type: 'step.finished',
    node: spec.name,
    step: 'gate-before',
    ok: !badBefore,
    durationMs: ctx.now().getTime() - t,
  });
  if (badBefore)
    throw new NodeFailure(spec.name, `gate-before:${badBefore.gate}`, badBefore.message, badBefore.evidence ?? [], {
      kind: 'before-change',
    });
  row.connectionsBefore = before.connections ?? undefined;
  // Invariant 3: another node's staging failed while this one was being gated: no further change.
  const sf = stagingFailure();
  if (sf) throw sf;

  // backup
  let backup: string | null = null;
  t = ctx.now().getTime();
  if (opts.noBackup) {
    ctx.emit({
      type: 'log',
      level: 'warn',
      node: spec.name,
      message: 'no backup (--no-backup): there is no in-place rollback once the hop is applied',
    });
    row.backup = 'skipped';
  } else {
    ctx.emit({ type: 'step.started', node: spec.name, step: 'backup', detail: `data/ etc/ log/ → ${spec.backupDir}/` });
    const dirs = before.layout
      ? { etcDir: before.layout.etcDir.path, dataDir: before.layout.dataDir.path, logDir: before.layout.logDir.path }
      : undefined;
    const r = await host.exec(backupCommand(spec, backupName(spec, from, ctx.now()), dirs), {
      timeoutMs: deadlineMs,
      signal: ctx.signal,
    });
    const m = parseBackupLine(r.stdout);
    if (r.exitCode !== 0 || !m) {
      ctx.emit({
        type: 'step.finished',
        node: spec.name,
        step: 'backup',
        ok: false,
        durationMs: r.durationMs,
        message: 'backup failed',
      });
      throw new NodeFailure(spec.name, 'backup', 'backup of data/ etc/ log/ failed', describeResult(r), {
        kind: 'before-change',
      });
    }
    backup = m.path;
    row.backup = backup;
    ctx.note({ kind: 'backup', runId: ctx.runId, node: spec.name, path: backup, bytes: m.bytes });
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'backup',
      ok: true,
      durationMs: r.durationMs,
      message: `${backup} (${(m.bytes / 1024 / 1024).toFixed(1)} MB, verified)`,
    });
  }

  // relup upgrade — judged by its output, not its exit code (a real node exits 0 on failure).
  if (ctx.stopRequested())
    throw new RolloutError(
      'interrupted',
      `stopped by the operator before upgrading ${spec.name} (backup taken, nothing applied)`,
    );
  const command = cmd.relupUpgrade(spec.rootDir, stagedPath(spec, opts.tarball), { force: opts.force });
  // Write-ahead: `upgrade.begin` is fsynced before the command leaves. Otherwise a SIGKILL in the
  // few ms between them leaves an upgrade running in the VM that no journal knows about, and the
  // next run refuses (upgrade-in-progress) instead of awaiting it. (ctx.commit resolves once the
  // line is on disk, and rejects — halting the run — when it cannot be: state/records.ts.)
  where.stage = 'hop';
  await ctx.commit({
    kind: 'upgrade.begin',
    runId: ctx.runId,
    node: spec.name,
    from,
    to: target,
    command,
    logRowsBefore: before.logs?.length ?? 0,
    connectionsBefore: before.connections,
  });
  ctx.emit({ type: 'step.started', node: spec.name, step: 'upgrade', detail: command });
  // The command is not tied to ctx.signal: killing the CLI does not stop the upgrade in the VM, so
  // an abort here would only lose the verdict. The deadline still applies.
  const upgradeStarted = ctx.now().getTime();
  let r = await host.exec(command, { timeoutMs: deadlineMs });
  // `Command table is initializing.` / `relup` not registered yet (facts A5): the command never
  // reached the handler. "Not yet", not a verdict: retried within the node's deadline.
  while (
    !r.timedOut &&
    detectTransient(r.stdout, r.exitCode, 'relup') &&
    ctx.now().getTime() - upgradeStarted < deadlineMs
  ) {
    ctx.emit({
      type: 'log',
      level: 'info',
      node: spec.name,
      message: `relup upgrade answered "${r.stdout.trim().split('\n')[0]}" (not ready yet); retrying`,
    });
    await ctx.sleep(1000);
    r = await host.exec(command, { timeoutMs: Math.max(1000, deadlineMs - (ctx.now().getTime() - upgradeStarted)) });
  }
  where.stage = 'after'; // a verdict came back: whatever follows is judged, not lost
  const verdict = parseRelupUpgrade(r.stdout, r.stderr, r.exitCode);
  // A failure past check_and_unpack (or with no stage at all) may have changed the live code: such
  // a node is "applied but unproven" (resume.ts `ungated`) and is re-gated, never skipped, later.
  const applied = hopApplied(verdict);
  // Only a definite verdict closes the journal entry. After a deadline, a dropped node or output we
  // cannot read, the upgrade may still be running or may have landed: the entry stays open, so the
  // next run re-observes that node (awaits it, then gates it or halts) instead of trusting a guess.
  const definite = definiteVerdict(verdict, r.timedOut);
  if (definite)
    await ctx.commit({
      kind: 'upgrade.end',
      runId: ctx.runId,
      node: spec.name,
      to: target,
      verdict: verdict.kind,
      applied,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
    });
  row.durationMs = r.durationMs;
  const evidence = describeResult(r);
  if (r.timedOut) {
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'upgrade',
      ok: false,
      durationMs: r.durationMs,
      message: `no verdict within ${ctx.inv.gates.timeoutSeconds}s`,
    });
    throw new NodeFailure(
      spec.name,
      'upgrade',
      `relup upgrade did not finish within ${ctx.inv.gates.timeoutSeconds}s`,
      evidence,
      { kind: 'timed-out' },
    );
  }
  if (verdict.kind !== 'complete') {
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'upgrade',
      ok: false,
      durationMs: r.durationMs,
      message: verdict.kind === 'failed' ? `upgrade failed: ${verdict.errType}` : verdict.kind,
    });
    if (verdict.kind === 'failed') {
      const failure = failureOfFailedHop(verdict.stage, verdict.errType, backup);
      throw new NodeFailure(
        spec.name,
        'upgrade',
        `relup upgrade failed: ${verdict.errType}${verdict.stage ? ` (stage ${verdict.stage})` : ''}`,
        evidence,
        failure,
      );
    }
    if (verdict.kind === 'vm-restarted') {
      throw new NodeFailure(spec.name, 'upgrade', "the node's VM restarted during the code change", evidence, {
        kind: 'vm-restarted',
      });
    }
    if (verdict.kind === 'rpc-failed' && /RPC to \S+ failed/.test(`${r.stdout}\n${r.stderr}`)) {
      // The node went down under the call: only the code-change crash path does that (facts A2 "C").
      throw new NodeFailure(
        spec.name,
        'upgrade',
        "the node's VM restarted during the code change (RPC to the node failed)",
        evidence,
        { kind: 'vm-restarted' },
      );
    }
    if (verdict.kind === 'rpc-failed') {
      // Empty output + exit 1 (or the RPC dropped): a non-map reason (facts A2). Re-observe, read-only,
      // and let the traces say which: marker write failed / deploy failed / VM restarted / unknown.
      const cls = await classifyAfterEmpty(ctx, spec, before, from, target);
      const failure: FailureCase =
        cls.kind === 'applied-no-marker'
          ? { kind: 'applied-no-marker', stage: 'permanent_upgrade', backup }
          : cls.kind === 'vm-restarted'
            ? { kind: 'vm-restarted' }
            : cls.kind === 'deploy-failed'
              ? { kind: 'deploy-failed' }
              : { kind: 'empty-unknown', why: cls.why };
      const what =
        cls.kind === 'applied-no-marker'
          ? 'the new code is live but the boot marker was not written'
          : cls.kind === 'vm-restarted'
            ? 'the VM restarted on the old tree during the code change'
            : cls.kind === 'deploy-failed'
              ? 'the deploy into relup/ failed before any code change'
              : 'the outcome could not be classified';
      throw new NodeFailure(
        spec.name,
        'upgrade',
        `relup upgrade exited ${r.exitCode ?? '?'} with no verdict: ${what} (${cls.why})`,
        evidence,
        failure,
      );
    }
    throw new NodeFailure(spec.name, 'upgrade', `relup upgrade gave no verdict (${verdict.kind})`, evidence, {
      kind: 'unknown-state',
    });
  }
  ctx.emit({
    type: 'step.finished',
    node: spec.name,
    step: 'upgrade',
    ok: true,
    durationMs: r.durationMs,
    message: 'upgrade complete',
  });
  if (ctx.stopRequested())
    ctx.emit({
      type: 'log',
      level: 'warn',
      node: spec.name,
      message: "stop requested: finishing this node's gates first (a hop without its gates is unproven)",
    });

  await gateAndSoak(ctx, spec, row, target, backup, mq?.probe ?? null, onLastRound);
  return 'upgraded';
}

/** gates-after, soak, gates again. Used after an upgrade and when resuming an in-flight node. */
async function gateAndSoak(
  ctx: RunContext,
  spec: NodeSpec,
  row: MutableRow,
  target: string,
  backup: string | null,
  probe: MqttProbe | null = null,
  onLastRound: () => void = () => undefined,
): Promise<void> {
  const host = hostOf(ctx, spec.name);
  const rounds: Array<'after' | 'soak'> = ctx.inv.gates.soakSeconds > 0 ? ['after', 'soak'] : ['after'];
  for (const phase of rounds) {
    const step = phase === 'after' ? 'gate-after' : 'soak';
    const t = ctx.now().getTime();
    ctx.emit({
      type: 'step.started',
      node: spec.name,
      step,
      ...(phase === 'soak' ? { detail: `${ctx.inv.gates.soakSeconds}s` } : {}),
    });
    if (phase === 'soak') await ctx.sleep(ctx.inv.gates.soakSeconds * 1000, ctx.signal);
    // The hop is done and this is the last round: the next node's gate-before may observe now.
    if (phase === rounds[rounds.length - 1]) onLastRound();
    // One exec: the facts this gate judges and the operator's gate commands (observe/node.ts).
    const f = await observeNode(host, spec, {
      phase: 'gate-after',
      tarballName: null,
      signal: ctx.signal,
      extra: ctx.inv.gates.commands.map((c) => renderTemplate(c, spec)),
      extraTimeoutMs: ctx.inv.gates.timeoutSeconds * 1000,
    });
    emitObserved(ctx, f);
    const commandResults: readonly ExecResult[] = f.extraResults ?? [];
    const results = judgeAfter(
      ctx.inv,
      f,
      { target, connectionsBefore: row.connectionsBefore ?? null },
      commandResults,
    );
    // the MQTT probe: judged so far after the hop, finished (drained, closed) in the last round
    if (probe) results.push(await probe.check(phase === rounds[rounds.length - 1]));
    emitGates(ctx, spec.name, phase, results);
    row.gatesTotal += results.length;
    row.gatesPassed += results.filter((g) => g.ok).length;
    row.connectionsAfter = f.connections ?? undefined;
    const bad = results.find((g) => !g.ok);
    ctx.emit({ type: 'step.finished', node: spec.name, step, ok: !bad, durationMs: ctx.now().getTime() - t });
    if (bad)
      throw new NodeFailure(
        spec.name,
        `${phase === 'after' ? 'gate-after' : 'soak'}:${bad.gate}`,
        bad.message,
        bad.evidence ?? [],
        { kind: 'applied-gate-failed', backup },
      );
  }
  // Proven: a later run may skip this node (resume.ts clears it from `ungated`).
  await ctx.commit({ kind: 'node.gated', runId: ctx.runId, node: spec.name, to: target });
}

/**
 * A node whose upgrade began in an earlier run without a recorded end: re-observe, wait out an
 * upgrade still running inside the VM, then either complete it (gates) or halt for a human.
 */
async function settleInFlight(
  ctx: RunContext,
  spec: NodeSpec,
  fl: InFlight,
  row: MutableRow,
  onLastRound: () => void,
): Promise<'upgraded' | 'not-started'> {
  if (fl.connectionsBefore !== null) row.connectionsBefore = fl.connectionsBefore; // the pre-hop baseline
  row.from = fl.from; // preflight saw the node after the hop began: the report shows the hop itself
  const host = hostOf(ctx, spec.name);
  ctx.emit({
    type: 'log',
    level: 'warn',
    node: spec.name,
    message: `run ${fl.runId} began upgrading ${spec.name} (${fl.from} → ${fl.to}) without recording the end; re-observing`,
  });
  // A torn read across the handler's last step is "settling", not "unknown": look again (verdicts.ts),
  // for up to the node's deadline. An upgrade the VM still runs (`relup status` in-progress: the
  // earlier run's deadline expired under a slow hop) is awaited longer, up to IN_PROGRESS_WAIT_S: the
  // operator re-ran to finish it, and halting while the VM works would only send them back to wait.
  const t0 = ctx.now().getTime();
  const shortDeadline = t0 + ctx.inv.gates.timeoutSeconds * 1000;
  const longDeadline = t0 + Math.max(ctx.inv.gates.timeoutSeconds, IN_PROGRESS_WAIT_S) * 1000;
  let f = await observeNode(host, spec, { tarballName: null, signal: ctx.signal });
  let told = false;
  while (judgeInFlight(f, fl) === 'settling') {
    const inProgress = f.relupStatus?.kind === 'in-progress';
    if (ctx.now().getTime() >= (inProgress ? longDeadline : shortDeadline)) break;
    if (inProgress && !told) {
      told = true;
      ctx.emit({
        type: 'log',
        level: 'info',
        node: spec.name,
        message: `relup status says in-progress: waiting up to ${Math.max(ctx.inv.gates.timeoutSeconds, IN_PROGRESS_WAIT_S)}s for the earlier upgrade to finish inside the VM`,
      });
    }
    await ctx.sleep(1000, ctx.signal);
    f = await observeNode(host, spec, { tarballName: null, signal: ctx.signal });
  }
  emitObserved(ctx, f);
  const newest = f.logs && f.logs.length > 0 ? f.logs[f.logs.length - 1] : undefined;
  const settled = judgeInFlight(f, fl);
  if (settled === 'complete') {
    await ctx.commit({
      kind: 'upgrade.end',
      runId: ctx.runId,
      node: spec.name,
      to: fl.to,
      verdict: 'complete-observed',
      applied: true,
    });
    ctx.emit({
      type: 'log',
      level: 'info',
      node: spec.name,
      message: `the earlier upgrade completed (${fl.to}, marker written); gating it now`,
    });
    await gateAndSoak(ctx, spec, row, fl.to, null, null, onLastRound);
    return 'upgraded';
  }
  if (settled === 'never-started') {
    // The command never reached the handler: no new log row. Safe to run the normal upgrade path.
    await ctx.commit({
      kind: 'upgrade.end',
      runId: ctx.runId,
      node: spec.name,
      to: fl.to,
      verdict: 'never-started-observed',
      applied: false,
    });
    ctx.emit({
      type: 'log',
      level: 'info',
      node: spec.name,
      message: 'the earlier upgrade never reached the node (no new relup log row); upgrading normally',
    });
    return 'not-started';
  }
  await ctx.commit({
    kind: 'upgrade.end',
    runId: ctx.runId,
    node: spec.name,
    to: fl.to,
    verdict: 'unknown-observed',
    applied: false,
  });
  throw new NodeFailure(
    spec.name,
    'resume',
    `cannot prove the outcome of the upgrade begun by run ${fl.runId}`,
    [
      `ctl status: ${f.version ?? 'down'}; relup status: ${describeRelupStatus(f) ?? 'unknown'}; relup/current: ${f.marker ?? '(none)'}`,
      ...(newest ? [`newest relup log row: ${newest.line}`] : []),
    ],
    { kind: 'unknown-state' },
  );
}

/** The read-only re-observation after an empty-output `relup upgrade` (facts A2), classified (pure). */
async function classifyAfterEmpty(
  ctx: RunContext,
  spec: NodeSpec,
  before: NodeFacts,
  from: string,
  target: string,
): Promise<EmptyFailureClass> {
  const host = hostOf(ctx, spec.name);
  let after: NodeFacts | null = null;
  // Bounded: a VM that is re-booting (case C) answers again within seconds; a wedged one must not hold the halt.
  const until = ctx.now().getTime() + 30_000;
  for (;;) {
    try {
      after = await observeNode(host, spec, { tarballName: null, signal: ctx.signal, commandTimeoutMs: 10_000 });
    } catch (e) {
      if (e instanceof RolloutError && e.kind === 'interrupted') throw e;
    }
    if ((after && after.version !== null) || after?.markerEmpty || ctx.now().getTime() >= until) break;
    await ctx.sleep(1000, ctx.signal);
  }
  if (after) {
    emitObserved(ctx, after);
    const newest = after.logs && after.logs.length > 0 ? after.logs[after.logs.length - 1] : undefined;
    ctx.emit({
      type: 'log',
      level: 'warn',
      node: spec.name,
      message: `after the empty answer: ctl status ${after.version ?? 'down'}; relup status ${describeRelupStatus(after) ?? 'unknown'}; relup/current ${after.markerEmpty ? '(0 bytes)' : (after.marker ?? '(none)')}${newest ? `; newest relup log row: ${newest.line}` : ''}`,
    });
  }
  return classifyEmptyUpgrade(
    {
      version: after?.version ?? null,
      marker: after ? (after.markerEmpty ? '' : after.markerUnreadable ? undefined : after.marker) : undefined,
      relupStatus: after?.relupStatus?.kind ?? null,
      troubleshootBefore: before.troubleshootFiles ?? null,
      troubleshootAfter: after?.troubleshootFiles ?? null,
      connectionsBefore: before.connections,
      connectionsAfter: after?.connections ?? null,
      uptimeBefore: null,
      uptimeAfter: null,
      elapsedMs: 0,
    },
    from,
    target,
  );
}
