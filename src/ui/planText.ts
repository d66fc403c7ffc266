// The `plan` command's human output: per node from → to, the steps, what blocks it and why.
import type { Plan } from '../rollout/core/types.js';
import { renderPlanExtras } from './planExtrasText.js';

export function renderPlanText(plan: Plan): string {
  const out: string[] = [];
  const count = (a: string) => plan.nodes.filter((n) => n.action === a).length;
  out.push(
    `Plan for cluster ${plan.cluster}: ${plan.from ?? '?'} → ${plan.to}  (tarball ${plan.tarball.fileName}, sha256 ${plan.tarball.sha256.slice(0, 12)}…, fingerprint ${plan.fingerprint})`,
  );
  out.push(
    `  ${count('upgrade')} to upgrade (one at a time, in this order)${count('regate') ? `, ${count('regate')} to re-gate` : ''}, ${count('skip')} to skip, ${count('blocked')} blocked`,
  );
  out.push('');
  plan.nodes.forEach((n, i) => {
    const mark = n.action === 'upgrade' ? '→' : n.action === 'regate' ? '↻' : n.action === 'skip' ? '=' : '✗';
    out.push(
      `${i + 1}. ${mark} ${n.name} (${n.host})  ${n.from ?? 'unknown'} → ${n.to}  [${n.action}]${n.reason && n.action !== 'blocked' ? `  ${n.reason}` : ''}`,
    );
    if (n.layout) {
      const l = n.layout;
      const src = (x: string) => (x === 'inventory' ? ' (inventory)' : '');
      const user =
        l.runnerUser === null ? '' : `, runs as ${l.runnerUser === '' ? 'the user who starts it' : l.runnerUser}`;
      out.push(
        `     ${'layout'.padEnd(11)} ${l.relform ?? 'unknown'} install: root ${l.rootDir}, etc ${l.etcDir}${src(l.sources.etcDir)}, data ${l.dataDir}${src(l.sources.dataDir)}, log ${l.logDir}${src(l.sources.logDir)}${user}${l.become ? `; commands via ${l.become}` : ''}`,
      );
    }
    for (const s of n.steps) out.push(`     ${s.kind.padEnd(11)} ${s.detail}`);
    for (const f of n.findings) {
      if (f.severity === 'info') continue;
      out.push(`     ${f.severity === 'blocker' ? 'BLOCKER' : 'warning'} [${f.code}] ${f.message}`);
      if (f.fix) out.push(`       fix: ${f.fix}`);
    }
  });
  const global = plan.findings.filter((f) => !f.node || !plan.nodes.some((n) => n.name === f.node));
  if (global.length > 0) {
    out.push('');
    for (const f of global) {
      out.push(`${f.severity === 'blocker' ? 'BLOCKER' : f.severity} [${f.code}] ${f.message}`);
      if (f.fix) out.push(`  fix: ${f.fix}`);
    }
  }
  out.push(...renderPlanExtras(plan));
  out.push('');
  out.push(
    plan.canProceed
      ? 'Preflight passed: the rollout can proceed. Nothing was changed.'
      : `Preflight BLOCKED: ${plan.findings.filter((f) => f.severity === 'blocker').length} blocker(s). Nothing was changed.`,
  );
  return out.join('\n') + '\n';
}
