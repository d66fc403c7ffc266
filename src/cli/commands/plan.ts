// `plan`: observe every node (read-only), print the plan. Exit 0 if the rollout could proceed, 3 if not.
// With --tarball (or --releases DIR, which picks and checks one) the full preflight plan; with neither,
// the hops each node can take and, with --to, whether every node has a hot hop there. Both carry each
// node's estimated duration and, with a window, when it would start (rollout/plan/).
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseEmqxVersion } from '../../emqx/version.js';
import { readJournal } from '../../rollout/state/journal.js';
import { observeAll } from '../../rollout/observe/all.js';
import { buildSurveyPlan, decoratePlan, type ExtrasInput } from '../../rollout/plan/assemble.js';
import { historyFromJournal } from '../../rollout/plan/estimate.js';
import { surveyHops } from '../../rollout/plan/hops.js';
import { chooseRelease, scanReleases, type ReleaseChoice } from '../../rollout/plan/releases.js';
import { observeAndPlan } from '../../rollout/upgrade/planRun.js';
import type { Plan, SurveyPlan, TarballInfo } from '../../rollout/core/types.js';
import { describeWindow } from '../../rollout/upgrade/window.js';
import { createJsonRenderer } from '../../ui/ndjson.js';
import { renderSurveyText } from '../../ui/planExtrasText.js';
import { renderPlanText } from '../../ui/planText.js';
import type { Renderer } from '../../ui/renderer.js';
import { BadInputError, RolloutError } from '../../util/errors.js';
import type { CliIO } from '../io.js';
import { readJournalSummary } from '../journalState.js';
import { validateInputs } from '../inputs.js';
import { openSession } from '../session.js';
import { parseWindowFlag } from '../windowFlag.js';

export interface PlanFlags {
  readonly inventory: string;
  readonly tarball?: string;
  readonly to?: string;
  readonly releases?: string;
  readonly window?: string;
  readonly json: boolean;
  readonly force: boolean;
  readonly noBackup: boolean;
  readonly stateDir?: string;
}

/** Text mode prints the plan at the end; warnings on the way (a skipped release) go to stderr. */
const quiet = (io: CliIO): Renderer => ({
  onEvent: (e) => {
    if (e.type === 'log' && e.level === 'warn') io.stderr.write(`warning: ${e.message}\n`);
  },
  finish: async () => undefined,
});

async function checkFlags(io: CliIO, f: PlanFlags): Promise<{ to: string | null; releasesDir: string | null }> {
  if (f.tarball && f.releases) {
    throw new BadInputError('--tarball and --releases exclude each other', {
      hint: 'pass one tarball with --tarball, or a directory of them with --releases',
    });
  }
  const to = f.to?.trim() ?? null;
  if (to !== null && !parseEmqxVersion(to)) {
    throw new BadInputError(`--to: ${JSON.stringify(f.to)} is not an EMQX version`, {
      hint: 'give it as `emqx ctl status` prints it, e.g. --to 5.10.5',
    });
  }
  let releasesDir: string | null = null;
  if (f.releases) {
    releasesDir = resolve(io.cwd, f.releases);
    const st = await stat(releasesDir).catch(() => null);
    if (!st?.isDirectory()) {
      throw new BadInputError(`--releases ${releasesDir} is not a directory`, {
        hint: 'pass a directory holding emqx-enterprise-<vsn>-<os>-<arch>.tar.gz files with their .sha256 sidecars',
      });
    }
  }
  return { to, releasesDir };
}

export async function planCommand(io: CliIO, f: PlanFlags, argv: readonly string[]): Promise<void> {
  // Flag checks join the inventory, tarball and key checks: every input problem in one exit 2.
  const flagProblems: BadInputError[] = [];
  const flags = await checkFlags(io, f).catch((e: unknown) => {
    if (!(e instanceof BadInputError)) throw e;
    flagProblems.push(e);
    return { to: null, releasesDir: null };
  });
  const input = await validateInputs(io, {
    inventory: f.inventory,
    tarball: { path: f.tarball, required: false },
    ...(f.window !== undefined ? { window: f.window } : {}),
    stateDir: f.stateDir,
    flagProblems,
  });
  const { to, releasesDir } = flags;
  const release = input.release ?? null;
  if (release && to !== null && release.tarball.version !== to) {
    throw new BadInputError(`--to ${to} but the tarball is ${release.tarball.version}`, {
      details: [`tarball ${release.tarball.path}`],
      hint: 'drop --to, or pass the tarball of that version',
    });
  }
  const s = await openSession(io, {
    loaded: input,
    inventory: f.inventory,
    command: 'plan',
    json: f.json,
    plain: true,
    stateDir: f.stateDir,
    argv,
    renderer: f.json ? createJsonRenderer(io.stdout) : quiet(io),
    // The SSH handshakes run while the journal is read; observeAll waits for them.
    connectInBackground: true,
  });
  try {
    const { mode, spec } = parseWindowFlag(f.window, s.inv.window);
    const target = release?.tarball.version ?? to;
    s.ctx.emit({
      type: 'rollout.started',
      command: 'plan',
      cluster: s.inv.cluster,
      runId: s.runId,
      nodes: s.inv.nodes.map((n) => n.name),
      ...(target ? { to: target } : {}),
      ...(spec ? { window: describeWindow(spec) } : {}),
    });
    const summary = await readJournalSummary(s.stateDir);
    const records = await readJournal(join(s.stateDir, 'journal.ndjson')).catch(() => []);
    const extras: ExtrasInput = {
      inv: s.inv,
      history: historyFromJournal(records, s.runId),
      now: io.now(),
      ...(spec ? { window: spec, windowMode: mode } : {}),
      noBackup: f.noBackup,
    };

    let tarball: TarballInfo | null = release?.tarball ?? null;
    let choice: ReleaseChoice | null = null;
    if (!tarball) {
      const facts = await observeAll(s.ctx, null);
      const survey = surveyHops(facts, to);
      const hop = survey.nextHop;
      if (releasesDir && (hop !== null || (to === null && survey.common.length > 0))) {
        if (to !== null && hop !== null && hop !== to) {
          const chain = survey.nodes.find((n) => n.chain)?.chain;
          s.ctx.emit({
            type: 'log',
            level: 'warn',
            message: `no direct hot hop to ${to}: planning only the first hop of the chain ${chain?.versions.join(' -> ') ?? `${hop} -> ${to}`} (hop to ${hop}, restart, then plan again); ${chain?.note ?? ''}`,
          });
        }
        // Without --to: the newest hop every node can take that the directory holds a tarball for.
        const wanted = hop !== null ? [hop] : [...survey.common].reverse();
        const files = await scanReleases(releasesDir, (v) => v !== null && wanted.includes(v), io.signal);
        const moving = (t: string) => facts.filter((x) => x.version !== t);
        for (const t of wanted) {
          choice = chooseRelease(releasesDir, files, t, moving(t));
          if (choice.chosen) break;
        }
        for (const r of choice?.rejected ?? [])
          s.ctx.emit({
            type: 'log',
            level: 'warn',
            message: `--releases: skipped ${r.fileName}: ${r.reason}${r.details.length ? ` (${r.details.join('; ')})` : ''}`,
          });
        if (!choice?.chosen) {
          throw new BadInputError(
            `--releases ${releasesDir}: no usable tarball for ${wanted.length ? wanted.join(' or ') : 'any hop every node can take'}`,
            {
              details: [
                ...(choice?.rejected ?? []).map(
                  (r) => `${r.fileName}: ${r.reason}${r.details.length ? ` — ${r.details.join('; ')}` : ''}`,
                ),
                `the directory holds: ${files.map((x) => x.fileName).join(', ') || 'no *.tar.gz'}`,
              ],
              hint: "add the official tarball for the nodes' OS and arch with its .sha256 sidecar, unmodified",
            },
          );
        }
        tarball = choice.chosen;
      } else {
        const plan = buildSurveyPlan(facts, to, extras);
        for (const x of plan.findings) s.ctx.emit({ type: 'preflight.finding', ...x });
        s.ctx.emit({ type: 'plan.ready', plan });
        // --releases without a hop to pick a tarball for: nothing could proceed.
        const nothing =
          releasesDir && to === null && plan.canProceed
            ? 'no hot hop every node can take, so --releases has nothing to pick'
            : null;
        finish(io, s, f, plan, nothing);
        return;
      }
    }
    const releases = choice?.chosen
      ? {
          releases: {
            dir: choice.dir,
            target: choice.target,
            chosen: choice.chosen.fileName,
            rejected: choice.rejected,
          },
        }
      : {};
    const { plan } = await observeAndPlan(s.ctx, tarball, {
      force: f.force,
      noBackup: f.noBackup,
      inFlight: summary.inFlight,
      ungated: summary.ungated,
      resumeOf: null,
      decorate: (p, facts) => decoratePlan(p, facts, { ...extras, ...releases }),
    });
    finish(io, s, f, plan);
  } finally {
    await s.close();
  }
}

function finish(
  io: CliIO,
  s: Awaited<ReturnType<typeof openSession>>,
  f: PlanFlags,
  plan: Plan | SurveyPlan,
  blocked: string | null = null,
): void {
  if (!f.json) io.stdout.write(plan.tarball === null ? renderSurveyText(plan) : renderPlanText(plan));
  s.ctx.note({ kind: 'run.end', runId: s.runId, outcome: plan.canProceed && !blocked ? 'plan-ok' : 'plan-blocked' });
  if (blocked)
    throw new RolloutError('preflight-blocked', blocked, {
      hint: 'pass --to VERSION to see why each node cannot take it',
    });
  if (!plan.canProceed) {
    const what =
      plan.tarball === null
        ? plan.to
          ? `not every node of ${s.inv.cluster} has a hot hop to ${plan.to}`
          : `not every node of ${s.inv.cluster} could be read`
        : `preflight blocks the rollout of ${s.inv.cluster}`;
    throw new RolloutError('preflight-blocked', what, {
      details: plan.findings.filter((x) => x.severity === 'blocker').map((x) => `[${x.code}] ${x.message}`),
    });
  }
}
