// `cleanup` (step 7): remove the staged tarball + sidecar (and any partial upload) from every node,
// only once EVERY node reports the target version. decideCleanup() is the pure decision.
import type { Inventory, NodeSpec } from '../../inventory/types.js';
import { describeResult } from '../../remote/exec.js';
import { shq } from '../../util/shellQuote.js';
import { RolloutError } from '../../util/errors.js';
import { hostOf, type RunContext } from '../core/context.js';
import type { NodeFacts } from '../core/facts.js';
import { NodeFailure } from '../core/failure.js';
import { observeAll } from '../observe/all.js';
import {
  emitBlocked,
  emitDeclined,
  throwIfAborted,
  withRun,
  type Outcome,
  type LockOptions,
  type MutableRow,
} from '../core/run.js';
import { sidecarPathOf } from '../upgrade/actions.js';
import type { Finding, ReportRow } from '../core/types.js';

export interface Lagging {
  readonly node: string;
  /** What the node runs, in words: `5.10.4`, `not running`, `unreachable: …`. */
  readonly runs: string;
}

export type CleanupDecision =
  | { readonly kind: 'refuse'; readonly lagging: readonly Lagging[] }
  | {
      readonly kind: 'remove';
      readonly nodes: readonly { readonly name: string; readonly paths: readonly string[] }[];
    };

/** The files staging leaves on a node: the tarball, its sidecar, and their `.part` uploads. */
export function stagedFiles(spec: NodeSpec, fileName: string): string[] {
  const t = `${spec.stagingDir}/${fileName}`;
  return [t, `${t}.part`, sidecarPathOf(t), `${sidecarPathOf(t)}.part`];
}

export function decideCleanup(
  inv: Inventory,
  facts: readonly NodeFacts[],
  target: string,
  fileName: string,
): CleanupDecision {
  const lagging: Lagging[] = [];
  for (const spec of inv.nodes) {
    const f = facts.find((x) => x.node === spec.name);
    if (!f || !f.reachable)
      lagging.push({ node: spec.name, runs: `unreachable${f?.unreachable ? `: ${f.unreachable.message}` : ''}` });
    else if (f.ctl?.kind !== 'running')
      lagging.push({
        node: spec.name,
        runs: f.ctl?.kind === 'down' ? 'not running' : 'unknown (ctl status unrecognised)',
      });
    else if (f.version !== target) lagging.push({ node: spec.name, runs: f.version ?? 'unknown' });
  }
  if (lagging.length > 0) return { kind: 'refuse', lagging };
  return { kind: 'remove', nodes: inv.nodes.map((spec) => ({ name: spec.name, paths: stagedFiles(spec, fileName) })) };
}

/** Removes what exists, prints `removed <path>` per file, and fails if anything is left. */
export function removeCommand(paths: readonly string[]): string {
  const q = paths.map(shq).join(' ');
  return [
    `for p in ${q}; do if [ -e "$p" ]; then rm -f -- "$p" && printf 'removed %s\\n' "$p"; fi; done`,
    `for p in ${q}; do if [ -e "$p" ]; then printf 'still there: %s\\n' "$p" >&2; exit 1; fi; done`,
  ].join('\n');
}

export interface CleanupOptions {
  readonly tarball: { readonly fileName: string; readonly version: string };
  readonly confirm: (nodes: number) => Promise<boolean>;
  readonly lock: LockOptions;
}

export interface CleanupResult {
  readonly outcome: Outcome;
  /** Per node: `removed` (staged files were deleted), `untouched` (nothing staged, or not reached), `failed`. */
  readonly rows: readonly ReportRow[];
  /** Per node, the files removed. */
  readonly removed: ReadonlyMap<string, readonly string[]>;
  readonly error?: RolloutError;
}

export async function runCleanup(ctx: RunContext, opts: CleanupOptions): Promise<CleanupResult> {
  const { inv } = ctx;
  const target = opts.tarball.version;
  const t0 = ctx.now().getTime();
  ctx.emit({
    type: 'rollout.started',
    command: 'cleanup',
    cluster: inv.cluster,
    runId: ctx.runId,
    nodes: inv.nodes.map((n) => n.name),
    to: target,
  });
  const rows = new Map<string, MutableRow>(
    inv.nodes.map((n) => [
      n.name,
      { node: n.name, from: null, to: null, outcome: 'untouched', gatesPassed: 0, gatesTotal: 0 },
    ]),
  );
  const removed = new Map<string, string[]>();
  const result = (outcome: Outcome, error?: RolloutError): CleanupResult => ({
    outcome,
    rows: [...rows.values()],
    removed,
    ...(error ? { error } : {}),
  });
  return withRun(
    ctx,
    { mode: 'cleanup', target: () => target },
    async ({ flight, lock }) => {
      ctx.emit({
        type: 'log',
        level: 'info',
        message: `preflight: observing ${inv.nodes.length} nodes (read-only); every node must run ${target}`,
      });
      const facts = await observeAll(ctx, null);
      for (const f of facts) {
        const row = rows.get(f.node);
        if (row) row.from = row.to = f.version;
      }
      const decision = decideCleanup(inv, facts, target, opts.tarball.fileName);
      ctx.emit({
        type: 'log',
        level: decision.kind === 'remove' ? 'info' : 'warn',
        message: `preflight ${decision.kind === 'remove' ? 'passed' : 'BLOCKED'} in ${((ctx.now().getTime() - t0) / 1000).toFixed(1)}s`,
      });

      if (decision.kind === 'refuse') {
        const findings = decision.lagging.map((l): Finding => ({
          code: 'not-at-target',
          severity: 'blocker',
          node: l.node,
          message: `${l.node} runs ${l.runs}, not ${target}`,
          fix: 'finish the rollout (emqx-rollout upgrade) first; the staged files are what a retry needs',
        }));
        for (const f of findings) ctx.emit({ type: 'preflight.finding', ...f });
        const err = new RolloutError(
          'preflight-blocked',
          `cleanup refused: ${decision.lagging.length} of ${inv.nodes.length} nodes do not run ${target}; nothing was removed`,
          {
            details: decision.lagging.map((l) => `${l.node}: runs ${l.runs}`),
            hint: 'the staged tarball is still needed to upgrade those nodes; run cleanup after the rollout finished',
          },
        );
        emitBlocked(ctx, err, findings);
        return result('blocked', err);
      }
      if (!(await opts.confirm(decision.nodes.length)))
        return result(
          'declined',
          emitDeclined(ctx, 'cleanup declined at the confirmation prompt; nothing was removed'),
        );
      throwIfAborted(ctx, null, 'taking the cluster lock (nothing was removed)');

      await lock(opts.lock);
      for (const n of decision.nodes) {
        const spec = inv.nodes.find((x) => x.name === n.name)!;
        const row = rows.get(n.name)!;
        const t = ctx.now().getTime();
        if (ctx.stopRequested()) throw new RolloutError('interrupted', `stopped by the operator before ${n.name}`);
        ctx.emit({
          type: 'step.started',
          node: n.name,
          step: 'cleanup',
          detail: `${spec.stagingDir}/${opts.tarball.fileName}{,.part,.sha256,.sha256.part}`,
        });
        flight.note = `removing the staged files on ${n.name} was running: some of them may be gone — re-run cleanup to finish (it removes what is left)`;
        const r = await hostOf(ctx, n.name).exec(removeCommand(n.paths), { timeoutMs: 30_000, signal: ctx.signal });
        const gone = [...r.stdout.matchAll(/^removed (.+)$/gm)].map((m) => m[1]);
        removed.set(n.name, gone);
        ctx.note({
          kind: 'cleanup',
          runId: ctx.runId,
          node: n.name,
          removed: gone,
          exitCode: r.exitCode,
          aborted: r.aborted,
        });
        if (gone.length > 0) row.outcome = 'removed';
        throwIfAborted(ctx, r, `removing the staged files on ${n.name}`);
        row.durationMs = ctx.now().getTime() - t;
        if (r.exitCode !== 0) {
          ctx.emit({
            type: 'step.finished',
            node: n.name,
            step: 'cleanup',
            ok: false,
            durationMs: row.durationMs,
            message: `exit ${r.exitCode ?? r.signal}`,
          });
          row.outcome = 'failed';
          throw new NodeFailure(n.name, 'cleanup', 'could not remove the staged files', describeResult(r), {
            kind: 'cleanup-remove',
          });
        }
        flight.note = null;
        ctx.emit({
          type: 'step.finished',
          node: n.name,
          step: 'cleanup',
          ok: true,
          durationMs: row.durationMs,
          message: gone.length > 0 ? `removed ${gone.length} file${gone.length === 1 ? '' : 's'}` : 'nothing staged',
        });
      }
      ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
      return result('done');
    },
    (outcome, error) => {
      return result(outcome, error);
    },
  );
}
