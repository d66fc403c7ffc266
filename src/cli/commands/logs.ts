// `logs`: every node's `relup logs` as one timeline sorted by start time (text table, or one JSON
// object per row with --json); `--clear` then runs `relup logs-clear` after confirmation.
import { resolve } from 'node:path';
import { loadInventory } from '../../inventory/load.js';
import { clearLogs, collectLogs, renderTimeline, selectNode, timeline } from '../../rollout/logs.js';
import { takeLock } from '../../rollout/restart.js';
import type { Renderer } from '../../ui/renderer.js';
import { RolloutError } from '../../util/errors.js';
import type { CliIO } from '../io.js';
import { confirm, requireConfirmable } from '../prompt.js';
import { openSession } from '../session.js';
import { lockFor } from './day2.js';

export interface LogsFlags {
  readonly inventory: string;
  readonly node?: string;
  readonly clear: boolean;
  readonly yes: boolean;
  readonly json: boolean;
  readonly stateDir?: string;
}

const quiet: Renderer = { onEvent: () => undefined, finish: async () => undefined };

export async function logsCommand(io: CliIO, f: LogsFlags, argv: readonly string[]): Promise<void> {
  if (f.clear) requireConfirmable(io, f.yes, 'clear the relup logs');
  // --node is checked against the inventory before anything connects.
  const inv = await loadInventory(resolve(io.cwd, f.inventory), { home: io.home, cwd: io.cwd });
  const selected = f.node ? [selectNode(inv, f.node)] : inv.nodes;
  const names = selected.map((n) => n.name);
  // Reading connects to the selected nodes only; clearing takes the cluster lock, so it needs all.
  const s = await openSession(io, { inventory: f.inventory, command: 'logs', json: f.json, plain: true, stateDir: f.stateDir, argv, renderer: quiet, ...(f.clear ? {} : { only: names }) });
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const json = (o: object) => out(JSON.stringify({ ts: io.now().toISOString(), ...o }));
  let outcome = 'failed';
  try {
    const specs = s.inv.nodes.filter((n) => names.includes(n.name));
    const { perNode, errors } = await collectLogs(s.ctx, specs);
    const rows = timeline(perNode);
    if (f.json) {
      for (const r of rows) json({ type: 'relup.log', ...r });
      for (const e of errors) json({ type: 'node.error', node: e.node, message: e.message, evidence: e.evidence });
    } else {
      const total = perNode.reduce((a, n) => a + n.rows.length, 0);
      out(`cluster ${s.inv.cluster}: ${total} relup log row${total === 1 ? '' : 's'} from ${perNode.length} of ${specs.length} node${specs.length === 1 ? '' : 's'}`);
      if (rows.length > 0) out(renderTimeline(rows));
      for (const n of perNode) if (n.rows.length === 0) out(`  ${n.node}: no upgrade history on this node`);
      for (const e of errors) out(`  ${e.node}: ${e.message}`);
    }
    if (f.clear) {
      if (errors.length > 0) {
        throw new RolloutError('preflight-blocked', `not clearing: the relup logs of ${errors.length} node${errors.length === 1 ? '' : 's'} could not be read; nothing was cleared`, {
          details: errors.map((e) => `${e.node}: ${e.message}`),
          hint: 'fix those nodes, or pass --node to clear one node at a time',
        });
      }
      const n = perNode.length;
      const total = perNode.reduce((a, x) => a + x.rows.length, 0);
      if (!f.yes && !(await confirm(io, `Clear the relup upgrade history (${total} row${total === 1 ? '' : 's'}) on ${n} node${n === 1 ? '' : 's'}? It cannot be restored.`))) {
        outcome = 'declined';
        throw new RolloutError('interrupted', 'logs --clear declined at the confirmation prompt; nothing was cleared');
      }
      const lock = await takeLock(s.ctx, lockFor(s, 'logs --clear', false, io.now().toISOString()));
      try {
        const results = await clearLogs(s.ctx, specs);
        for (const r of results) {
          if (f.json) json({ type: 'logs.cleared', node: r.node, ok: r.ok, ...(r.ok ? {} : { evidence: r.evidence }) });
          else out(`${r.node}: ${r.ok ? 'cleared all upgrade logs' : 'logs-clear FAILED'}`);
        }
        const failed = results.filter((r) => !r.ok);
        if (failed.length > 0) {
          throw new RolloutError('halted', `relup logs-clear failed on ${failed.map((r) => r.node).join(', ')}`, { details: failed.flatMap((r) => r.evidence) });
        }
      } finally {
        await lock.release();
      }
    }
    outcome = 'done';
  } finally {
    s.ctx.record({ kind: 'run.end', runId: s.runId, outcome });
    await s.close();
  }
}
