// `upgrade`: the rollout. The engine (rollout/upgrade/engine.ts) decides and acts; this file wires flags,
// prompt, renderer, journal and report, and turns the outcome into a typed error for main.ts.
import { hostname, userInfo } from 'node:os';
import { writeReport } from '../../rollout/state/report.js';
import { runUpgrade } from '../../rollout/upgrade/engine.js';
import { mountInk } from '../../ui/ink/mount.js';
import { renderPlanText } from '../../ui/planText.js';
import { createPlainRenderer } from '../../ui/plain.js';
import { chooseRenderer, noColor, rendererKind, type Renderer } from '../../ui/renderer.js';
import { BadInputError } from '../../util/errors.js';
import type { CliIO } from '../io.js';
import { readJournalSummary } from '../journalState.js';
import { validateInputs } from '../inputs.js';
import { confirm } from '../prompt.js';
import { openSession } from '../session.js';
import { SwitchRenderer } from '../switchRenderer.js';
import { parseWindowFlag } from '../windowFlag.js';

export interface UpgradeFlags {
  readonly inventory: string;
  readonly tarball?: string;
  readonly yes: boolean;
  readonly json: boolean;
  readonly plain: boolean;
  readonly window?: string;
  readonly pauseAfter?: number;
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

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function upgradeCommand(io: CliIO, f: UpgradeFlags, argv: readonly string[]): Promise<void> {
  const input = await validateInputs(io, {
    inventory: f.inventory,
    tarball: { path: f.tarball, required: true },
    confirm: { yes: f.yes, what: 'upgrade the cluster' },
    ...(f.window !== undefined ? { window: f.window } : {}),
    stateDir: f.stateDir,
    ...(f.flagProblems ? { flagProblems: f.flagProblems } : {}),
  });
  const release = input.release!;
  const chooseOpts = { json: f.json, plain: f.plain, isTTY: io.stdoutTTY, env: io.env, stdout: io.stdout, stderr: io.stderr, stdin: io.stdin, now: () => io.now().getTime() };
  const interactiveConfirm = !f.yes && rendererKind(chooseOpts) === 'ink';
  const switcher = interactiveConfirm ? new SwitchRenderer(createPlainRenderer(io.stdout, { color: !noColor(io.env) })) : null;
  const s = await openSession(io, { loaded: input, inventory: f.inventory, command: 'upgrade', json: f.json, plain: f.plain, stateDir: f.stateDir, argv, renderer: switcher ?? f.renderer ?? chooseRenderer(chooseOpts) });
  let outcome = 'failed';
  try {
    const { mode, spec } = parseWindowFlag(f.window, s.inv.window);
    const summary = await readJournalSummary(s.stateDir);
    if (f.resume && (!summary.lastRun || summary.lastRun.ended === 'done')) {
      throw new BadInputError(`--resume: no unfinished upgrade run of ${s.inv.cluster} in ${s.stateDir}`, { hint: 'run without --resume to start a rollout' });
    }
    const startedAt = io.now().toISOString();
    const res = await runUpgrade(s.ctx, {
      tarball: release.tarball,
      sidecar: release.sidecar,
      force: f.force,
      noBackup: !f.backup,
      pauseAfter: f.pauseAfter ?? null,
      window: spec,
      windowMode: mode,
      stageConcurrency: f.stageConcurrency,
      inFlight: summary.inFlight,
      ungated: summary.ungated,
      resumeOf: f.resume ? summary.lastRun!.meta : null,
      lock: {
        owner: { runId: s.runId, cluster: s.inv.cluster, command: 'upgrade', user: userInfo().username, host: hostname(), pid: process.pid, startedAt },
        breakLock: f.breakLock,
        pidAlive,
      },
      confirm: async (plan) => {
        if (f.yes) return true;
        const n = plan.nodes.filter((x) => x.action === 'upgrade').length;
        // With --json, stdout carries only NDJSON: the human plan goes with the prompt, to stderr.
        (f.json ? io.stderr : io.stdout).write(`\n${renderPlanText(plan)}\n`);
        const ok = await confirm(io, `Upgrade ${n} node${n === 1 ? '' : 's'} of ${plan.cluster} from ${plan.from ?? '?'} to ${plan.to}, one at a time?`);
        if (ok && switcher) await switcher.switchTo(mountInk({ stdout: io.stdout, stderr: io.stderr, stdin: io.stdin, now: () => io.now().getTime(), color: !noColor(io.env) }));
        return ok;
      },
    });
    outcome = res.outcome;
    if (res.outcome !== 'blocked' && res.outcome !== 'declined') {
      const files = await writeReport(s.stateDir, s.runId, res.rows, {
        cluster: s.inv.cluster,
        runId: s.runId,
        from: res.plan?.from ?? null,
        to: release.tarball.version,
        startedAt,
        finishedAt: io.now().toISOString(),
        outcome: res.outcome === 'done' ? 'done' : res.outcome === 'halted' ? 'halted' : res.outcome === 'paused' ? 'paused' : 'interrupted',
      });
      s.announceReport(files.mdPath);
    }
    if (res.error) throw res.error;
  } finally {
    s.ctx.record({ kind: 'run.end', runId: s.runId, outcome });
    await s.close();
  }
}
