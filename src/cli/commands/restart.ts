// `restart`: the rolling restart into relup/<vsn>/ (step 6). The engine (rollout/restart/engine.ts) decides
// and acts; this file wires flags, prompt, renderer, journal and report.
import { writeReport } from '../../rollout/state/report.js';
import { runRestart } from '../../rollout/restart/engine.js';
import type { CliIO } from '../io.js';
import { validateInputs } from '../inputs.js';
import { openSession } from '../session.js';
import { day2Renderer, lockFor } from './day2.js';

export interface RestartFlags {
  readonly inventory: string;
  readonly evacuate: boolean;
  readonly yes: boolean;
  readonly json: boolean;
  readonly plain: boolean;
  readonly breakLock: boolean;
  readonly stateDir?: string;
}

export async function restartCommand(io: CliIO, f: RestartFlags, argv: readonly string[]): Promise<void> {
  const input = await validateInputs(io, { inventory: f.inventory, confirm: { yes: f.yes, what: 'restart nodes' }, stateDir: f.stateDir });
  const view = day2Renderer(io, f);
  const s = await openSession(io, { loaded: input, inventory: f.inventory, command: 'restart', json: f.json, plain: f.plain, stateDir: f.stateDir, argv, renderer: view.renderer });
  let outcome = 'failed';
  try {
    const startedAt = io.now().toISOString();
    const res = await runRestart(s.ctx, {
      evacuate: f.evacuate,
      lock: lockFor(s, 'restart', f.breakLock, startedAt),
      confirm: (plan) => {
        const n = plan.nodes.filter((x) => x.action === 'restart').length;
        const into = plan.target ? `relup/${plan.target}/` : 'their relup trees';
        return view.ask(`Restart ${n} node${n === 1 ? '' : 's'} of ${plan.cluster} into ${into}, one at a time${f.evacuate ? ', evacuating each first' : ''}? Each node's MQTT clients are disconnected.`);
      },
    });
    outcome = res.outcome;
    if (res.outcome !== 'blocked' && res.outcome !== 'declined') {
      const files = await writeReport(s.stateDir, s.runId, res.rows, {
        cluster: s.inv.cluster,
        runId: s.runId,
        from: res.plan?.target ?? null,
        to: res.plan?.target ?? null,
        startedAt,
        finishedAt: io.now().toISOString(),
        outcome: res.outcome === 'done' ? 'done' : res.outcome === 'halted' ? 'halted' : 'interrupted',
      });
      s.announceReport(files.mdPath);
    }
    if (res.error) throw res.error;
  } finally {
    s.ctx.record({ kind: 'run.end', runId: s.runId, outcome });
    await s.close();
  }
}
