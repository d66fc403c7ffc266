// Text of what plan schema 2 adds: the hops per node, the releases picked, the estimate and the
// schedule. Also the whole text of a plan without a tarball (a SurveyPlan).
import { formatDuration } from '../rollout/plan/estimate.js';
import type { Plan, PlanNode, SurveyPlan, SurveyPlanNode } from '../rollout/core/types.js';

type AnyNode = PlanNode | SurveyPlanNode;

function hopLines(plan: Plan | SurveyPlan): string[] {
  const nodes = plan.nodes.filter((n) => n.hops);
  if (nodes.length === 0) return [];
  const out = ['Hops (relup list-supported-paths, per node):'];
  const w = Math.max(...nodes.map((n) => n.name.length));
  for (const n of nodes) {
    const h = n.hops!;
    const listed =
      h.listed === null
        ? 'catalog unknown'
        : h.listed.length === 0
          ? 'empty catalog'
          : h.listed.map((p) => `${p.from} -> ${p.to}`).join(', ');
    const verdict =
      plan.to === null
        ? ''
        : h.atTarget
          ? `  = already ${plan.to}`
          : h.hot
            ? `  ✓ hot hop to ${plan.to}`
            : `  ✗ no hot hop to ${plan.to}`;
    out.push(
      `  ${n.name.padEnd(w)}  ${h.version ?? 'unknown'}  plugin ${h.plugin ?? 'none'}  lists: ${listed}${verdict}`,
    );
    if (h.noHop) {
      out.push(
        `  ${' '.repeat(w)}    why: [${h.noHop.code}${h.noHop.kind ? `/${h.noHop.kind}` : ''}] ${h.noHop.message}`,
      );
      for (const i of h.noHop.instead) out.push(`  ${' '.repeat(w)}    instead: ${i}`);
    }
    if (h.chain) {
      out.push(`  ${' '.repeat(w)}    chain: ${h.chain.versions.join(' → restart → ')} — UNVERIFIED: ${h.chain.note}`);
    }
  }
  const common = plan.hops?.common ?? [];
  out.push(`  hops every node can take: ${common.length ? common.join(', ') : 'none'}`);
  if (plan.hops?.nextHop && plan.to !== null && plan.hops.nextHop !== plan.to) {
    out.push(
      `  next hop: ${plan.hops.nextHop} (one hop per upgrade run; restart before the next, unverified beyond it)`,
    );
  }
  return out;
}

function releaseLines(plan: Plan | SurveyPlan): string[] {
  const r = plan.releases;
  if (!r) return [];
  const out = [`Releases in ${r.dir} for ${r.target}: ${r.chosen ? `chose ${r.chosen}` : 'none usable'}`];
  for (const x of r.rejected) {
    out.push(`  skipped ${x.fileName}: ${x.reason}`);
    for (const d of x.details) out.push(`    ${d}`);
  }
  return out;
}

function timingLines(plan: Plan | SurveyPlan): string[] {
  const e = plan.estimate;
  const s = plan.schedule;
  if (!e || !s) return [];
  const nodes = plan.nodes.flatMap((n: AnyNode) => (n.estimate ? [{ ...n, estimate: n.estimate }] : []));
  if (nodes.length === 0) return [];
  const basis = nodes[0].estimate.basis;
  const out = [
    `Estimate (${e.source === 'history' ? basis : e.source === 'mixed' ? 'history where there is some, else the inventory' : basis}):`,
  ];
  const w = Math.max(...nodes.map((n) => n.name.length));
  if (e.stagingMs > 0) out.push(`  ${'staging'.padEnd(w)}  ${formatDuration(e.stagingMs)} (all nodes in parallel)`);
  for (const n of nodes) {
    const p = n.estimate.parts;
    const slot = n.slot;
    const when = slot
      ? slot.start === ''
        ? '  never fits the window'
        : `  starts ${slot.startLocal}${slot.occurrence !== null ? ` (window #${slot.occurrence + 1})` : ''}${slot.fits ? '' : '  DOES NOT FIT'}`
      : '';
    out.push(
      `  ${n.name.padEnd(w)}  ${formatDuration(n.estimate.expectedMs).padStart(7)}  (gates ${formatDuration(p.gateBeforeMs + p.gateAfterMs)}, backup ${formatDuration(p.backupMs)}, hop ${formatDuration(p.upgradeMs)}, soak ${formatDuration(p.soakMs)})${when}`,
    );
  }
  out.push(
    `  total: ${formatDuration(e.totalMs)}${s.window ? `; with the window ${s.window}: ${formatDuration(s.spanMs)} from ${s.startsAtLocal} to ${s.finishesAtLocal}` : ''}`,
  );
  if (s.window) {
    if (s.firstNotFitting) {
      const slot = plan.nodes.find((n) => n.name === s.firstNotFitting)?.slot;
      out.push(
        `  first node that does not fit: ${s.firstNotFitting}${slot?.reason ? ` (${slot.reason})` : ''}; ` +
          (s.mode === 'wait'
            ? 'the run waits for the next opening (--window wait)'
            : 'the run pauses there (exit 5); re-run in the next window, or wait: window in the inventory and --window wait'),
      );
    } else {
      out.push(
        `  every node fits the window starting ${s.startsAtLocal} (a node starts only if its deadline + soak fits before it closes)`,
      );
    }
  }
  return out;
}

/** Schema-2 sections for a tarball plan (after the steps). */
export function renderPlanExtras(plan: Plan | SurveyPlan): string[] {
  const sections = [releaseLines(plan), hopLines(plan), timingLines(plan)].filter((s) => s.length > 0);
  return sections.flatMap((s) => ['', ...s]);
}

/** `plan` without a tarball. */
export function renderSurveyText(plan: SurveyPlan): string {
  const out: string[] = [];
  out.push(
    `Hops for cluster ${plan.cluster}${plan.to ? ` to ${plan.to}` : ''} (no tarball: read-only, nothing to execute)`,
  );
  out.push(...renderPlanExtras(plan));
  const global = plan.findings.filter((f) => !f.node);
  for (const f of global) out.push(`${f.severity === 'blocker' ? 'BLOCKER' : f.severity} [${f.code}] ${f.message}`);
  out.push('');
  const blocked = plan.nodes.filter((n) => n.action === 'blocked').map((n) => n.name);
  if (plan.to === null) {
    out.push(
      blocked.length
        ? `${blocked.length} node(s) could not be read: ${blocked.join(', ')}. Nothing was changed.`
        : 'Every node answered. Pass --to VERSION to check one hop. Nothing was changed.',
    );
  } else {
    out.push(
      plan.canProceed && plan.nodes.every((n) => n.action === 'skip')
        ? `Every node already runs ${plan.to}. Nothing was changed.`
        : plan.canProceed
          ? `Every node has a hot hop to ${plan.to}. Plan it with its tarball: --tarball FILE or --releases DIR. Nothing was changed.`
          : `No hot hop to ${plan.to} on ${blocked.length} node(s): ${blocked.join(', ')}. Nothing was changed.`,
    );
  }
  return out.join('\n') + '\n';
}
