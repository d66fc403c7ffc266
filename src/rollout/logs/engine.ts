// `logs`: `emqx ctl relup logs` from the nodes as ONE timeline sorted by start time, and
// `relup logs-clear` (runLogsClear). timeline() is pure (ui/timeline.ts renders it); collect/clear run the commands.
import * as cmd from '../../emqx/commands.js';
import { parseRelupLogs } from '../../emqx/parse/relupLogs.js';
import type { RelupLogResult, RelupLogRow } from '../../emqx/types.js';
import type { Inventory, NodeSpec } from '../../inventory/types.js';
import { describeResult } from '../../remote/exec.js';
import { BadInputError, RolloutError } from '../../util/errors.js';
import { hostOf, type RunContext } from '../core/context.js';
import { NodeFailure } from '../core/failure.js';
import {
  emitBlocked,
  emitDeclined,
  throwIfAborted,
  withRun,
  type Outcome,
  type LockOptions,
  type MutableRow,
} from '../core/run.js';
import type { Finding, ReportRow } from '../core/types.js';

export interface TimelineRow {
  readonly node: string;
  readonly started: string;
  readonly finished: string | null;
  readonly from: string;
  readonly to: string | null;
  readonly status: 'finished' | 'in-progress';
  /** `success`, `none` (no result yet) or `error`/`unrecognised`. */
  readonly result: 'success' | 'none' | 'error' | 'unrecognised';
  readonly errType?: string;
  readonly details?: string;
  /** The row as the node printed it. */
  readonly line: string;
}

export interface NodeLogs {
  readonly node: string;
  readonly rows: readonly RelupLogRow[];
}

/** A node we could not read: unreachable, down, plugin missing, output not understood. */
export interface NodeLogsError {
  readonly node: string;
  readonly message: string;
  readonly evidence: readonly string[];
}

/** The --node flag: the inventory's node of that name, or a bad-input error listing the known ones. */
export function selectNode(inv: Inventory, name: string): NodeSpec {
  const spec = inv.nodes.find((n) => n.name === name);
  if (spec) return spec;
  throw new BadInputError(`--node ${JSON.stringify(name)} is not a node of cluster ${inv.cluster} (${inv.file})`, {
    details: ['known nodes:', ...inv.nodes.map((n) => `  ${n.name}  (${n.host})`)],
    hint: 'pass one of the names above, as `emqx ctl status` prints it',
  });
}

function resultOf(r: RelupLogResult): Pick<TimelineRow, 'result' | 'errType' | 'details'> {
  switch (r.kind) {
    case 'success':
      return { result: 'success' };
    case 'none':
      return { result: 'none' };
    case 'error':
      return { result: 'error', errType: r.errType, details: r.details };
    case 'unrecognised':
      return { result: 'unrecognised', details: r.raw };
  }
}

/**
 * All nodes' rows in one timeline, oldest first. `started` is RFC 3339 with an offset, so nodes in
 * different time zones still sort correctly by instant; equal instants keep node order, then the
 * node's own (oldest-first) order.
 */
export function timeline(perNode: readonly NodeLogs[]): TimelineRow[] {
  const all = perNode.flatMap((n, ni) =>
    n.rows.map((r, ri) => ({
      key: [Date.parse(r.started), ni, ri] as const,
      row: {
        node: n.node,
        started: r.started,
        finished: r.finished,
        from: r.from,
        to: r.target,
        status: r.status,
        ...resultOf(r.result),
        line: r.line,
      } satisfies TimelineRow,
    })),
  );
  all.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
  return all.map((x) => x.row);
}

export async function collectLogs(
  ctx: RunContext,
  nodes: readonly NodeSpec[],
): Promise<{ perNode: NodeLogs[]; errors: NodeLogsError[] }> {
  const perNode: NodeLogs[] = [];
  const errors: NodeLogsError[] = [];
  await Promise.all(
    nodes.map(async (spec) => {
      const host = ctx.hosts.get(spec.name);
      if (!host) {
        const u = ctx.unreachable.get(spec.name);
        errors.push({
          node: spec.name,
          message: `unreachable: ${u?.message ?? 'not connected'}`,
          evidence: u?.details ?? [],
        });
        return;
      }
      const r = await host.exec(cmd.relupLogs(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
      if (r.aborted) return; // reported once below, as an interruption
      const p = parseRelupLogs(r.stdout, r.stderr, r.exitCode);
      if (p.kind === 'logs') perNode.push({ node: spec.name, rows: p.rows });
      else
        errors.push({
          node: spec.name,
          message:
            p.kind === 'down'
              ? `not running (${p.message})`
              : p.kind === 'not-registered'
                ? 'the emqx_relup plugin is not running (relup is not a ctl command)'
                : `relup logs output not understood (${p.kind})`,
          evidence: describeResult(r, 5),
        });
    }),
  );
  // An aborted read comes back empty: it is an interruption, not "output not understood".
  throwIfAborted(ctx, null, 'reading the relup logs');
  // Promise.all finishes in any order: keep the inventory's.
  const order = (n: string) => nodes.findIndex((s) => s.name === n);
  perNode.sort((a, b) => order(a.node) - order(b.node));
  errors.sort((a, b) => order(a.node) - order(b.node));
  return { perNode, errors };
}

export interface Cleared {
  readonly node: string;
  readonly ok: boolean;
  readonly evidence: readonly string[];
}

export interface LogsClearOptions {
  readonly nodes: readonly NodeSpec[];
  /** Shows what is about to be cleared (the timeline), before the prompt. */
  readonly show: (perNode: readonly NodeLogs[], errors: readonly NodeLogsError[]) => void;
  readonly confirm: (nodes: number, rows: number) => Promise<boolean>;
  readonly onCleared: (r: Cleared) => void;
  readonly lock: LockOptions;
}

export interface LogsClearResult {
  readonly outcome: Outcome;
  /** Per selected node: `cleared`, `untouched` or `failed`. */
  readonly rows: readonly ReportRow[];
  readonly error?: RolloutError;
}

/**
 * `logs --clear`: read every selected node's history (shown before the prompt), refuse when one
 * cannot be read (it would clear history nobody saw), confirm, lock, then `relup logs-clear` one
 * node at a time; the first node that does not confirm halts the run.
 */
export async function runLogsClear(ctx: RunContext, opts: LogsClearOptions): Promise<LogsClearResult> {
  const t0 = ctx.now().getTime();
  ctx.emit({
    type: 'rollout.started',
    command: 'logs',
    cluster: ctx.inv.cluster,
    runId: ctx.runId,
    nodes: opts.nodes.map((n) => n.name),
  });
  const rows = new Map<string, MutableRow>(
    opts.nodes.map((n) => [
      n.name,
      { node: n.name, from: null, to: null, outcome: 'untouched', gatesPassed: 0, gatesTotal: 0 },
    ]),
  );
  const result = (outcome: Outcome, error?: RolloutError): LogsClearResult => ({
    outcome,
    rows: [...rows.values()],
    ...(error ? { error } : {}),
  });
  return withRun(
    ctx,
    { mode: 'logs', target: () => null },
    async ({ flight, lock }) => {
      const { perNode, errors } = await collectLogs(ctx, opts.nodes);
      opts.show(perNode, errors);
      if (errors.length > 0) {
        const findings = errors.map((e): Finding => ({
          code: 'logs-unreadable',
          severity: 'blocker',
          node: e.node,
          message: `${e.node}: ${e.message}`,
          fix: 'fix that node, or pass --node to clear the readable nodes one at a time',
        }));
        for (const f of findings) ctx.emit({ type: 'preflight.finding', ...f });
        const err = new RolloutError(
          'preflight-blocked',
          `not clearing: the relup logs of ${errors.length} node${errors.length === 1 ? '' : 's'} could not be read; nothing was cleared`,
          {
            details: errors.map((e) => `${e.node}: ${e.message}`),
            hint: 'fix those nodes, or pass --node to clear one node at a time',
          },
        );
        emitBlocked(ctx, err, findings);
        return result('blocked', err);
      }
      const total = perNode.reduce((a, x) => a + x.rows.length, 0);
      if (!(await opts.confirm(perNode.length, total)))
        return result(
          'declined',
          emitDeclined(ctx, 'logs --clear declined at the confirmation prompt; nothing was cleared'),
        );
      throwIfAborted(ctx, null, 'taking the cluster lock (nothing was cleared)');

      await lock(opts.lock);
      for (const spec of opts.nodes) {
        if (ctx.stopRequested()) throw new RolloutError('interrupted', `stopped by the operator before ${spec.name}`);
        const row = rows.get(spec.name)!;
        flight.note = `\`relup logs-clear\` was running on ${spec.name}: its upgrade history may already be cleared (check with \`emqx-rollout logs --node ${spec.name}\`)`;
        const r = await hostOf(ctx, spec.name).exec(cmd.ctlCmd(spec.rootDir, 'relup', 'logs-clear'), {
          timeoutMs: 30_000,
          signal: ctx.signal,
        });
        const ok = !r.aborted && r.exitCode === 0 && /^cleared all upgrade logs$/m.test(r.stdout);
        ctx.note({
          kind: 'logs.clear',
          runId: ctx.runId,
          node: spec.name,
          ok,
          exitCode: r.exitCode,
          aborted: r.aborted,
        });
        throwIfAborted(ctx, r, `clearing the relup logs of ${spec.name}`);
        row.durationMs = r.durationMs;
        const evidence = ok ? [] : describeResult(r, 5);
        opts.onCleared({ node: spec.name, ok, evidence });
        if (!ok) {
          row.outcome = 'failed';
          throw new NodeFailure(spec.name, 'logs-clear', `relup logs-clear failed on ${spec.name}`, evidence, {
            kind: 'logs-clear',
          });
        }
        row.outcome = 'cleared';
        flight.note = null;
      }
      ctx.emit({ type: 'rollout.done', rows: [...rows.values()], durationMs: ctx.now().getTime() - t0 });
      return result('done');
    },
    (outcome, error) => {
      return result(outcome, error);
    },
  );
}
