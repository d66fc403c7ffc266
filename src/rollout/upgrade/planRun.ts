// observe → preflight → plan, emitting findings and the plan. Read-only: shared by `plan` and
// `upgrade` so both judge the cluster identically.
import type { RunContext } from '../core/context.js';
import type { NodeFacts } from '../core/facts.js';
import { observeAll } from '../observe/all.js';
import { buildPlan } from './plan.js';
import { preflight } from './preflight.js';
import { resumeMismatch, type InFlight, type RunMeta, type Ungated } from '../state/resume.js';
import type { Finding, Plan, TarballInfo } from '../core/types.js';

export interface PlanRunOptions {
  readonly force: boolean;
  readonly noBackup: boolean;
  readonly inFlight: ReadonlyMap<string, InFlight>;
  readonly ungated?: ReadonlyMap<string, Ungated>;
  readonly resumeOf: RunMeta | null;
  /** Adds to the plan before plan.ready is emitted (`plan`: hops, estimate, schedule). */
  readonly decorate?: (plan: Plan, facts: readonly NodeFacts[]) => Plan;
}

export async function observeAndPlan(
  ctx: RunContext,
  tarball: TarballInfo,
  opts: PlanRunOptions,
): Promise<{ facts: NodeFacts[]; findings: Finding[]; plan: Plan }> {
  const facts = await observeAll(ctx, tarball.fileName, tarball.sha256);
  let findings = preflight(ctx.inv, tarball, facts, { force: opts.force, noBackup: opts.noBackup });
  findings = softenInFlight(findings, opts.inFlight);
  if (opts.resumeOf) {
    const versions = new Map(facts.map((f) => [f.node, f.version]));
    for (const m of resumeMismatch(opts.resumeOf, {
      nodes: ctx.inv.nodes.map((n) => n.name),
      to: tarball.version,
      sha256: tarball.sha256,
      versions,
    })) {
      findings.push({
        code: 'resume-mismatch',
        severity: 'blocker',
        message: `cannot resume run ${opts.resumeOf.runId}: ${m}`,
        fix: 'run without --resume to start a new rollout for the cluster as it is now',
      });
    }
  }
  for (const f of findings) ctx.emit({ type: 'preflight.finding', ...f });
  const built = buildPlan(ctx.inv, tarball, facts, findings, {
    force: opts.force,
    noBackup: opts.noBackup,
    ...(opts.ungated ? { ungated: opts.ungated } : {}),
  });
  const plan = opts.decorate ? opts.decorate(built, facts) : built;
  ctx.emit({ type: 'plan.ready', plan });
  return { facts, findings, plan };
}

/** Our own earlier run started these upgrades: "in progress" there is expected, not a blocker. */
function softenInFlight(findings: Finding[], inFlight: ReadonlyMap<string, InFlight>): Finding[] {
  return findings.map((f) =>
    f.node && inFlight.has(f.node) && f.code === 'upgrade-in-progress'
      ? {
          ...f,
          severity: 'warning' as const,
          message: `${f.message} — started by run ${inFlight.get(f.node)!.runId}; it will be awaited and judged, not restarted`,
        }
      : f,
  );
}
