// `plan`: observe every node (read-only), print the plan. Exit 0 if the rollout could proceed, 3 if not.
import { observeAndPlan } from '../../rollout/upgrade/planRun.js';
import { createJsonRenderer } from '../../ui/ndjson.js';
import { renderPlanText } from '../../ui/planText.js';
import type { Renderer } from '../../ui/renderer.js';
import { RolloutError } from '../../util/errors.js';
import type { CliIO } from '../io.js';
import { readJournalSummary } from '../journalState.js';
import { validateInputs } from '../inputs.js';
import { openSession } from '../session.js';

export interface PlanFlags {
  readonly inventory: string;
  readonly tarball?: string;
  readonly json: boolean;
  readonly force: boolean;
  readonly noBackup: boolean;
  readonly stateDir?: string;
}

const quiet: Renderer = { onEvent: () => undefined, finish: async () => undefined };

export async function planCommand(io: CliIO, f: PlanFlags, argv: readonly string[]): Promise<void> {
  const input = await validateInputs(io, { inventory: f.inventory, tarball: { path: f.tarball, required: true }, stateDir: f.stateDir });
  const release = input.release!;
  const s = await openSession(io, { loaded: input, inventory: f.inventory, command: 'plan', json: f.json, plain: true, stateDir: f.stateDir, argv, renderer: f.json ? createJsonRenderer(io.stdout) : quiet });
  try {
    const summary = await readJournalSummary(s.stateDir);
    s.ctx.emit({ type: 'rollout.started', command: 'plan', cluster: s.inv.cluster, runId: s.runId, nodes: s.inv.nodes.map((n) => n.name), to: release.tarball.version });
    const { plan } = await observeAndPlan(s.ctx, release.tarball, { force: f.force, noBackup: f.noBackup, inFlight: summary.inFlight, ungated: summary.ungated, resumeOf: null });
    if (!f.json) io.stdout.write(renderPlanText(plan));
    s.ctx.record({ kind: 'run.end', runId: s.runId, outcome: plan.canProceed ? 'plan-ok' : 'plan-blocked' });
    if (!plan.canProceed) {
      throw new RolloutError('preflight-blocked', `preflight blocks the rollout of ${s.inv.cluster}`, { details: plan.findings.filter((x) => x.severity === 'blocker').map((x) => `[${x.code}] ${x.message}`) });
    }
  } finally {
    await s.close();
  }
}
