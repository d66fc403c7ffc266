// `logs`: every node's `relup logs` as one timeline sorted by start time (text table, or one JSON
// object per row with --json); `--clear` then runs `relup logs-clear` after confirmation
// (rollout/logs/engine.ts runLogsClear), which ends its events with rollout.done/halted/paused and writes a report.
import { renderTimeline } from '../../ui/timeline.js';
import {
  collectLogs,
  runLogsClear,
  selectNode,
  timeline,
  type NodeLogs,
  type NodeLogsError,
} from '../../rollout/logs/engine.js';
import { createJsonRenderer } from '../../ui/ndjson.js';
import { createPlainRenderer } from '../../ui/plain.js';
import { noColor, type Renderer } from '../../ui/renderer.js';
import type { CliIO } from '../io.js';
import { validateInputs } from '../inputs.js';
import { confirm } from '../prompt.js';
import { runEngine } from '../runEngine.js';
import { openSession } from '../session.js';
import { lockFor } from '../view.js';

export interface LogsFlags {
  readonly inventory: string;
  readonly node?: string;
  readonly clear: boolean;
  readonly yes: boolean;
  readonly json: boolean;
  readonly breakLock?: boolean;
  readonly stateDir?: string;
}

const quiet: Renderer = { onEvent: () => undefined, finish: async () => undefined };

/**
 * --clear: with --json every event goes to stdout (after the relup.log rows), ending with the
 * terminal event; as text, only log lines and the terminal event (the table is printed as is).
 */
function clearRenderer(io: CliIO, json: boolean): Renderer {
  if (json) return createJsonRenderer(io.stdout);
  const plain = createPlainRenderer(io.stdout, { color: io.stdoutTTY && !noColor(io.env) });
  return {
    onEvent: (e) => {
      if (e.type === 'log' || e.type === 'rollout.done' || e.type === 'rollout.halted' || e.type === 'rollout.paused')
        plain.onEvent(e);
    },
    finish: () => plain.finish(),
  };
}

export async function logsCommand(io: CliIO, f: LogsFlags, argv: readonly string[]): Promise<void> {
  // --node is checked against the inventory, with every other input, before anything connects.
  const input = await validateInputs(io, {
    inventory: f.inventory,
    ...(f.clear ? { confirm: { yes: f.yes, what: 'clear the relup logs' } } : {}),
    checks: f.node ? [(i) => selectNode(i, f.node!)] : [],
    stateDir: f.stateDir,
  });
  const inv = input.inv;
  const selected = f.node ? [selectNode(inv, f.node)] : inv.nodes;
  const names = selected.map((n) => n.name);
  // Reading connects to the selected nodes only; clearing takes the cluster lock, so it needs all.
  const s = await openSession(io, {
    loaded: input,
    inventory: f.inventory,
    command: 'logs',
    json: f.json,
    plain: true,
    stateDir: f.stateDir,
    argv,
    renderer: f.clear ? clearRenderer(io, f.json) : quiet,
    ...(f.clear ? {} : { only: names }),
  });
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const json = (o: object) => out(JSON.stringify({ ts: io.now().toISOString(), ...o }));
  const specs = s.inv.nodes.filter((n) => names.includes(n.name));
  const show = (perNode: readonly NodeLogs[], errors: readonly NodeLogsError[]) => {
    const rows = timeline(perNode);
    if (f.json) {
      for (const r of rows) json({ type: 'relup.log', ...r });
      for (const e of errors) json({ type: 'node.error', node: e.node, message: e.message, evidence: e.evidence });
    } else {
      const total = perNode.reduce((a, n) => a + n.rows.length, 0);
      out(
        `cluster ${s.inv.cluster}: ${total} relup log row${total === 1 ? '' : 's'} from ${perNode.length} of ${specs.length} node${specs.length === 1 ? '' : 's'}`,
      );
      if (rows.length > 0) out(renderTimeline(rows));
      for (const n of perNode) if (n.rows.length === 0) out(`  ${n.node}: no upgrade history on this node`);
      for (const e of errors) out(`  ${e.node}: ${e.message}`);
    }
  };
  if (!f.clear) {
    let outcome = 'failed';
    try {
      const { perNode, errors } = await collectLogs(s.ctx, specs);
      show(perNode, errors);
      outcome = 'done';
    } finally {
      s.ctx.note({ kind: 'run.end', runId: s.runId, outcome });
      await s.close();
    }
    return;
  }
  await runEngine(io, s, {
    run: (startedAt) =>
      runLogsClear(s.ctx, {
        nodes: specs,
        show,
        confirm: async (n, total) =>
          f.yes ||
          (await confirm(
            io,
            `Clear the relup upgrade history (${total} row${total === 1 ? '' : 's'}) on ${n} node${n === 1 ? '' : 's'}? It cannot be restored.`,
          )),
        onCleared: (r) => {
          if (f.json) json({ type: 'logs.cleared', node: r.node, ok: r.ok, ...(r.ok ? {} : { evidence: r.evidence }) });
          else out(`${r.node}: ${r.ok ? 'cleared all upgrade logs' : 'logs-clear FAILED'}`);
        },
        lock: lockFor(s, 'logs --clear', f.breakLock ?? false, startedAt),
      }),
    versions: () => ({ from: null, to: null }),
  });
}
