// `restart`: the rolling restart into relup/<vsn>/ (step 6). The engine (rollout/restart/engine.ts) decides
// and acts; this file wires flags, prompt, renderer, journal and report.
import { runRestart } from '../../rollout/restart/engine.js';
import type { CliIO } from '../io.js';
import { validateInputs } from '../inputs.js';
import { runEngine } from '../runEngine.js';
import { openSession } from '../session.js';
import { lockFor, pickView } from '../view.js';

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
  const input = await validateInputs(io, {
    inventory: f.inventory,
    confirm: { yes: f.yes, what: 'restart nodes' },
    stateDir: f.stateDir,
  });
  const view = pickView(io, f);
  const s = await openSession(io, {
    loaded: input,
    inventory: f.inventory,
    command: 'restart',
    json: f.json,
    plain: f.plain,
    stateDir: f.stateDir,
    argv,
    renderer: view.renderer,
  });
  await runEngine(io, s, {
    run: async (startedAt) => {
      return runRestart(s.ctx, {
        evacuate: f.evacuate,
        lock: lockFor(s, 'restart', f.breakLock, startedAt),
        confirm: (plan) => {
          const n = plan.nodes.filter((x) => x.action === 'restart').length;
          const into = plan.target ? `relup/${plan.target}/` : 'their relup trees';
          return view.ask(
            `Restart ${n} node${n === 1 ? '' : 's'} of ${plan.cluster} into ${into}, one at a time${f.evacuate ? ', evacuating each first' : ''}? Each node's MQTT clients are disconnected.`,
          );
        },
      });
    },
    versions: (res) => ({ from: res.plan?.target ?? null, to: res.plan?.target ?? null }),
  });
}
