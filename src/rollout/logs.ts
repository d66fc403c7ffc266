// `logs`: `emqx ctl relup logs` from the nodes as ONE timeline sorted by start time, and
// `relup logs-clear`. timeline()/renderTimeline() are pure; collect/clear run the commands.
import * as cmd from '../emqx/commands.js';
import { parseRelupLogs } from '../emqx/parse/relupLogs.js';
import type { RelupLogResult, RelupLogRow } from '../emqx/types.js';
import type { Inventory, NodeSpec } from '../inventory/types.js';
import { describeResult } from '../remote/exec.js';
import { alignTable, versionHop } from '../ui/format.js';
import { BadInputError } from '../util/errors.js';
import { hostOf, type RunContext } from './context.js';

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
      row: { node: n.node, started: r.started, finished: r.finished, from: r.from, to: r.target, status: r.status, ...resultOf(r.result), line: r.line } satisfies TimelineRow,
    })),
  );
  all.sort((a, b) => (a.key[0] - b.key[0]) || (a.key[1] - b.key[1]) || (a.key[2] - b.key[2]));
  return all.map((x) => x.row);
}

export function renderTimeline(rows: readonly TimelineRow[]): string {
  return alignTable([
    ['node', 'started', 'finished', 'from → to', 'status', 'result'],
    ...rows.map((r) => [r.node, r.started, r.finished ?? '-', versionHop(r.from, r.to), r.status, r.result === 'error' ? `error: ${r.errType}` : r.result === 'unrecognised' ? `? ${r.details ?? ''}` : r.result]),
  ]).join('\n');
}

export async function collectLogs(ctx: RunContext, nodes: readonly NodeSpec[]): Promise<{ perNode: NodeLogs[]; errors: NodeLogsError[] }> {
  const perNode: NodeLogs[] = [];
  const errors: NodeLogsError[] = [];
  await Promise.all(
    nodes.map(async (spec) => {
      const host = ctx.hosts.get(spec.name);
      if (!host) {
        const u = ctx.unreachable.get(spec.name);
        errors.push({ node: spec.name, message: `unreachable: ${u?.message ?? 'not connected'}`, evidence: u?.details ?? [] });
        return;
      }
      const r = await host.exec(cmd.relupLogs(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
      const p = parseRelupLogs(r.stdout, r.stderr, r.exitCode);
      if (p.kind === 'logs') perNode.push({ node: spec.name, rows: p.rows });
      else errors.push({ node: spec.name, message: p.kind === 'down' ? `not running (${p.message})` : p.kind === 'not-registered' ? 'the emqx_relup plugin is not running (relup is not a ctl command)' : `relup logs output not understood (${p.kind})`, evidence: describeResult(r, 5) });
    }),
  );
  // Promise.all finishes in any order: keep the inventory's.
  const order = (n: string) => nodes.findIndex((s) => s.name === n);
  perNode.sort((a, b) => order(a.node) - order(b.node));
  errors.sort((a, b) => order(a.node) - order(b.node));
  return { perNode, errors };
}

/** `relup logs-clear` on each node, one at a time; true per node when the node confirmed it. */
export async function clearLogs(ctx: RunContext, nodes: readonly NodeSpec[]): Promise<{ node: string; ok: boolean; evidence: readonly string[] }[]> {
  const out: { node: string; ok: boolean; evidence: readonly string[] }[] = [];
  for (const spec of nodes) {
    const r = await hostOf(ctx, spec.name).exec(cmd.ctlCmd(spec.rootDir, 'relup', 'logs-clear'), { timeoutMs: 30_000, signal: ctx.signal });
    const ok = r.exitCode === 0 && /^cleared all upgrade logs$/m.test(r.stdout);
    ctx.record({ kind: 'logs.clear', runId: ctx.runId, node: spec.name, ok, exitCode: r.exitCode });
    out.push({ node: spec.name, ok, evidence: ok ? [] : describeResult(r, 5) });
  }
  return out;
}
