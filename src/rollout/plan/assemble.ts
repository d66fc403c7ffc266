// Puts hops, estimate and schedule into the plan (schema 2). Pure: facts, journal history and the
// clock are parameters.
import type { Inventory, WindowSpec } from '../../inventory/types.js';
import type { NodeFacts } from '../core/facts.js';
import { commonFrom } from '../upgrade/preflight.js';
import {
  PLAN_SCHEMA_VERSION,
  type Finding,
  type Plan,
  type SurveyPlan,
  type SurveyPlanNode,
  type TarballInfo,
} from '../core/types.js';
import { estimateNodes, type Estimate, type History } from './estimate.js';
import { surveyHops, type HopSurvey } from './hops.js';
import { schedule, type Schedule } from './schedule.js';
import type { ReleasesReport } from './types.js';

export interface ExtrasInput {
  readonly inv: Inventory;
  readonly history: History;
  readonly now: Date;
  readonly window?: WindowSpec;
  readonly windowMode?: 'enforce' | 'wait' | 'ignore';
  readonly noBackup: boolean;
  readonly releases?: ReleasesReport;
}

interface Timing {
  readonly estimate: Estimate;
  readonly schedule: Schedule;
}

/** Estimate and schedule for the nodes that will run, in inventory order. */
function timing(
  input: ExtrasInput,
  moving: readonly { name: string; regate: boolean }[],
  tarball: TarballInfo | null,
  facts: readonly NodeFacts[],
): Timing {
  const staged = new Set(tarball ? facts.filter((f) => f.stagedSha256 === tarball.sha256).map((f) => f.node) : []);
  const estimate = estimateNodes(
    {
      nodes: moving.map((m) => m.name),
      timeoutSeconds: input.inv.gates.timeoutSeconds,
      soakSeconds: input.inv.gates.soakSeconds,
      noBackup: input.noBackup,
      tarballBytes: tarball?.size ?? null,
      staged,
    },
    input.history,
  );
  // A re-gated node only runs its gates and soak (plan.ts 'regate').
  const nodes = estimate.nodes.map((n, i) =>
    moving[i].regate ? { ...n, expectedMs: n.parts.gateAfterMs + n.parts.soakMs, stageMs: 0 } : n,
  );
  const stagingMs = Math.max(0, ...nodes.map((n) => n.stageMs));
  const est: Estimate = {
    ...estimate,
    nodes,
    stagingMs,
    totalMs: stagingMs + nodes.reduce((a, n) => a + n.expectedMs, 0),
  };
  const sched = schedule({
    now: input.now,
    ...(input.window ? { window: input.window } : {}),
    ...(input.windowMode ? { mode: input.windowMode } : {}),
    stagingMs: est.stagingMs,
    nodes: nodes.map((n) => ({ node: n.node, expectedMs: n.expectedMs, reserveMs: n.reserveMs })),
  });
  return { estimate: est, schedule: sched };
}

const strip = <T extends { nodes: unknown }>(x: T): Omit<T, 'nodes'> => {
  const { nodes: _nodes, ...rest } = x;
  return rest;
};

/** The `--tarball` / `--releases` plan with schema 2's hops, estimate and schedule added. */
export function decoratePlan(plan: Plan, facts: readonly NodeFacts[], input: ExtrasInput): Plan {
  const survey = surveyHops(facts, plan.to);
  const moving = plan.nodes
    .filter((n) => n.action === 'upgrade' || n.action === 'regate')
    .map((n) => ({ name: n.name, regate: n.action === 'regate' }));
  const t = timing(input, moving, plan.tarball, facts);
  return {
    ...plan,
    hops: strip(survey),
    estimate: strip(t.estimate),
    schedule: strip(t.schedule),
    ...(input.releases ? { releases: input.releases } : {}),
    nodes: plan.nodes.map((n) => {
      const estimate = t.estimate.nodes.find((e) => e.node === n.name);
      const slot = t.schedule.nodes.find((e) => e.node === n.name);
      const hops = survey.nodes.find((h) => h.node === n.name);
      return { ...n, ...(hops ? { hops } : {}), ...(estimate ? { estimate } : {}), ...(slot ? { slot } : {}) };
    }),
  };
}

/** Blockers of a survey: every node that has no hot hop to the target (or cannot be read). */
export function surveyFindings(survey: HopSurvey): Finding[] {
  return survey.nodes.flatMap((n): Finding[] =>
    n.noHop
      ? [
          {
            code: n.noHop.code,
            severity: 'blocker',
            node: n.node,
            message: n.noHop.message,
            ...(n.noHop.instead.length ? { fix: n.noHop.instead.join('; or ') } : {}),
          },
        ]
      : [],
  );
}

/** `plan` without a tarball: per node its version and hops, and for `to` who can hop there. */
export function buildSurveyPlan(facts: readonly NodeFacts[], to: string | null, input: ExtrasInput): SurveyPlan {
  const survey = surveyHops(facts, to);
  const findings = surveyFindings(survey);
  const moving = survey.nodes
    .filter((n) => to !== null && n.hot && !n.atTarget)
    .map((n) => ({ name: n.node, regate: false }));
  const t = to !== null ? timing(input, moving, null, facts) : null;
  const nodes = input.inv.nodes.map((spec): SurveyPlanNode => {
    const h = survey.nodes.find((x) => x.node === spec.name)!;
    const estimate = t?.estimate.nodes.find((e) => e.node === spec.name);
    const slot = t?.schedule.nodes.find((e) => e.node === spec.name);
    const mine = findings.filter((x) => x.node === spec.name);
    const listed = h.targets.length
      ? `lists ${h.targets.map((x) => `${h.version} -> ${x}`).join(', ')}`
      : 'lists no hop from its version';
    const action = h.noHop ? 'blocked' : to === null || h.atTarget ? 'skip' : 'upgrade';
    const reason = h.noHop
      ? h.noHop.message
      : to === null
        ? `no --to given; ${listed}`
        : h.atTarget
          ? `already at ${to}`
          : undefined;
    return {
      name: spec.name,
      host: spec.host,
      from: h.version,
      to,
      action,
      ...(reason ? { reason } : {}),
      steps: [],
      findings: mine,
      hops: h,
      ...(estimate ? { estimate } : {}),
      ...(slot ? { slot } : {}),
    };
  });
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    cluster: input.inv.cluster,
    from: commonFrom(facts, to ?? ''),
    to,
    tarball: null,
    fingerprint: null,
    nodes,
    findings,
    canProceed: findings.length === 0,
    hops: strip(survey),
    ...(t ? { estimate: strip(t.estimate), schedule: strip(t.schedule) } : {}),
  };
}
