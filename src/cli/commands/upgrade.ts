// `upgrade`: the rollout. The engine (rollout/upgrade/engine.ts) decides and acts; this file wires flags,
// prompt, renderer, journal and report, and turns the outcome into a typed error for main.ts.
import { runUpgrade } from '../../rollout/upgrade/engine.js';
import { renderPlanText } from '../../ui/planText.js';
import type { Renderer } from '../../ui/renderer.js';
import { BadInputError } from '../../util/errors.js';
import type { CliIO } from '../io.js';
import { readJournalSummary } from '../journalState.js';
import { validateInputs } from '../inputs.js';
import { lockFor, pickView } from '../view.js';
import { approvalFor } from '../approvalMode.js';
import { runEngine } from '../runEngine.js';
import { openSession } from '../session.js';
import { parseWindowFlag } from '../windowFlag.js';

export interface UpgradeFlags {
  readonly inventory: string;
  readonly tarball?: string;
  readonly yes: boolean;
  readonly json: boolean;
  readonly plain: boolean;
  readonly window?: string;
  readonly pauseAfter?: number;
  /** `--await-approval [SECONDS]`: at --pause-after, wait for `emqx-rollout approve` this long. */
  readonly awaitApproval?: number;
  readonly resume: boolean;
  readonly backup: boolean;
  readonly force: boolean;
  readonly breakLock: boolean;
  readonly stateDir?: string;
  readonly stageConcurrency: number;
  /** Bad flag values found while parsing, reported with every other input problem. */
  readonly flagProblems?: readonly BadInputError[];
  /** A renderer chosen by the caller (`demo` tees MQTT traffic events into it); default: chosen from the flags. */
  readonly renderer?: Renderer;
}

export async function upgradeCommand(io: CliIO, f: UpgradeFlags, argv: readonly string[]): Promise<void> {
  const flagProblems = [...(f.flagProblems ?? [])];
  if (f.awaitApproval !== undefined && f.pauseAfter === undefined) {
    flagProblems.push(
      new BadInputError('--await-approval needs --pause-after N: it says how long to wait at that pause', {
        hint: 'add --pause-after 1 (a canary node) or drop --await-approval',
      }),
    );
  }
  const input = await validateInputs(io, {
    inventory: f.inventory,
    tarball: { path: f.tarball, required: true },
    confirm: { yes: f.yes, what: 'upgrade the cluster' },
    ...(f.window !== undefined ? { window: f.window } : {}),
    stateDir: f.stateDir,
    flagProblems,
  });
  const release = input.release!;
  const view = pickView(io, f);
  const s = await openSession(io, {
    loaded: input,
    inventory: f.inventory,
    command: 'upgrade',
    json: f.json,
    plain: f.plain,
    stateDir: f.stateDir,
    argv,
    renderer: view.renderer,
    // rollout.started at once; the engine's first remote action (observeAll) waits for the handshakes.
    connectInBackground: true,
  });
  await runEngine(io, s, {
    run: async (startedAt) => {
      const { mode, spec } = parseWindowFlag(f.window, s.inv.window);
      const summary = await readJournalSummary(s.stateDir);
      if (f.resume && (!summary.lastRun || summary.lastRun.ended === 'done')) {
        throw new BadInputError(`--resume: no unfinished upgrade run of ${s.inv.cluster} in ${s.stateDir}`, {
          hint: 'run without --resume to start a rollout',
        });
      }
      return runUpgrade(s.ctx, {
        tarball: release.tarball,
        sidecar: release.sidecar,
        force: f.force,
        noBackup: !f.backup,
        pauseAfter: f.pauseAfter ?? null,
        approval: approvalFor(io, f, s.renderer, s.stateDir),
        window: spec,
        windowMode: mode,
        stageConcurrency: f.stageConcurrency,
        inFlight: summary.inFlight,
        ungated: summary.ungated,
        resumeOf: f.resume ? summary.lastRun!.meta : null,
        lock: lockFor(s, 'upgrade', f.breakLock, startedAt),
        confirm: async (plan) => {
          if (f.yes) return true;
          const n = plan.nodes.filter((x) => x.action === 'upgrade').length;
          // With --json, stdout carries only NDJSON: the human plan goes with the prompt, to stderr.
          (f.json ? io.stderr : io.stdout).write(`\n${renderPlanText(plan)}\n`);
          return view.ask(
            `Upgrade ${n} node${n === 1 ? '' : 's'} of ${plan.cluster} from ${plan.from ?? '?'} to ${plan.to}, one at a time?`,
          );
        },
      });
    },
    versions: (res) => ({ from: res.plan?.from ?? null, to: release.tarball.version }),
  });
}
