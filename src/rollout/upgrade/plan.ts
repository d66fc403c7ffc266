// plan(): facts + findings → a plain, versioned, serialisable Plan. No I/O; `plan` prints it,
// `upgrade` executes it, tests compare it.
import { createHash } from 'node:crypto';
import * as cmd from '../../emqx/commands.js';
import type { Inventory, NodeSpec } from '../../inventory/types.js';
import type { NodeFacts } from '../core/facts.js';
import { commonFrom } from './preflight.js';
import {
  PLAN_SCHEMA_VERSION,
  type Finding,
  type Plan,
  type PlanLayout,
  type PlanNode,
  type PlanStep,
  type TarballInfo,
} from '../core/types.js';

/** The layout as the plan shows it (text and plan.ready). */
export function planLayout(spec: NodeSpec, f: NodeFacts | undefined): PlanLayout | undefined {
  const l = f?.layout;
  if (!l) return undefined;
  return {
    relform: l.relform,
    rootDir: l.rootDir,
    etcDir: l.etcDir.path,
    dataDir: l.dataDir.path,
    logDir: l.logDir.path,
    runnerUser: l.runnerUser,
    sources: { etcDir: l.etcDir.source, dataDir: l.dataDir.source, logDir: l.logDir.source },
    ...(spec.become ? { become: `${spec.become} -u ${spec.becomeUser ?? 'root'}` } : {}),
  };
}

export interface PlanOptions {
  readonly force: boolean;
  readonly noBackup: boolean;
  /** Nodes whose hop completed in an earlier run but whose gates never passed (journal). */
  readonly ungated?: ReadonlyMap<string, { readonly runId: string; readonly to: string }>;
}

export function stagedPath(spec: NodeSpec, tarball: Pick<TarballInfo, 'fileName'>): string {
  return `${spec.stagingDir}/${tarball.fileName}`;
}

/**
 * Identity of a rollout: which cluster, which nodes, from what to what, with which bytes. A resume
 * must match it; versions observed mid-rollout are not part of it (they change as nodes finish).
 */
export function fingerprint(
  inv: Inventory,
  from: string | null,
  tarball: Pick<TarballInfo, 'sha256' | 'version'>,
): string {
  const basis = JSON.stringify({
    cluster: inv.cluster,
    nodes: inv.nodes.map((n) => [n.name, n.host, n.port, n.rootDir]),
    from,
    to: tarball.version,
    sha256: tarball.sha256,
  });
  return createHash('sha256').update(basis).digest('hex').slice(0, 16);
}

export function gateList(inv: Inventory): string[] {
  return [
    'version',
    'relup-status',
    'marker',
    'relup-log',
    'cluster',
    'connections',
    ...inv.gates.commands.map((_, i) => `command:${i}`),
  ];
}

function upgradeSteps(
  inv: Inventory,
  spec: NodeSpec,
  tarball: TarballInfo,
  opts: PlanOptions,
  staged: boolean,
  layout?: PlanLayout,
): PlanStep[] {
  const path = stagedPath(spec, tarball);
  const dirs = layout ? `${layout.etcDir}/ ${layout.dataDir}/ ${layout.logDir}/` : 'data/ etc/ log/';
  const steps: PlanStep[] = [
    {
      kind: 'stage',
      detail: staged
        ? `${path} already staged (sha256 matches)`
        : `upload ${tarball.fileName} + .sha256 to ${spec.stagingDir}/`,
    },
    {
      kind: 'gate-before',
      detail: 'running the from-version, all nodes in cluster status, relup idle, staged sha256 matches',
    },
    opts.noBackup
      ? { kind: 'backup', detail: 'SKIPPED (--no-backup): there is no in-place rollback once the hop is applied' }
      : { kind: 'backup', detail: `tar ${dirs} → ${spec.backupDir}/ (verified)` },
    {
      kind: 'upgrade',
      detail: cmd.relupUpgrade(spec.rootDir, path, { force: opts.force }) + ` (deadline ${inv.gates.timeoutSeconds}s)`,
    },
    { kind: 'gate-after', detail: gateList(inv).join(', ') },
  ];
  if (inv.gates.soakSeconds > 0)
    steps.push({ kind: 'soak', detail: `wait ${inv.gates.soakSeconds}s, then check the gates again` });
  return steps;
}

export function buildPlan(
  inv: Inventory,
  tarball: TarballInfo,
  facts: readonly NodeFacts[],
  findings: readonly Finding[],
  opts: PlanOptions,
): Plan {
  const from = commonFrom(facts, tarball.version);
  const nodes: PlanNode[] = inv.nodes.map((spec) => {
    const f = facts.find((x) => x.node === spec.name);
    const mine = findings.filter((x) => x.node === spec.name);
    const blockers = mine.filter((x) => x.severity === 'blocker');
    const layout = planLayout(spec, f);
    const base = {
      name: spec.name,
      host: spec.host,
      from: f?.version ?? null,
      to: tarball.version,
      findings: mine,
      ...(layout ? { layout } : {}),
    };
    if (blockers.length > 0) {
      return { ...base, action: 'blocked' as const, reason: blockers.map((b) => b.message).join('; '), steps: [] };
    }
    const ungated = opts.ungated?.get(spec.name);
    if (f?.version === tarball.version && ungated?.to === tarball.version) {
      return {
        ...base,
        action: 'regate' as const,
        reason: `already at ${tarball.version}, but its gates never passed (run ${ungated.runId}): gated again before any further node`,
        steps: [
          { kind: 'gate-after' as const, detail: gateList(inv).join(', ') },
          ...(inv.gates.soakSeconds > 0
            ? [{ kind: 'soak' as const, detail: `wait ${inv.gates.soakSeconds}s, then check the gates again` }]
            : []),
        ],
      };
    }
    if (f?.version === tarball.version) {
      return { ...base, action: 'skip' as const, reason: `already at ${tarball.version}`, steps: [] };
    }
    return {
      ...base,
      action: 'upgrade' as const,
      steps: upgradeSteps(inv, spec, tarball, opts, f?.stagedSha256 === tarball.sha256, layout),
    };
  });
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    cluster: inv.cluster,
    from,
    to: tarball.version,
    tarball,
    fingerprint: fingerprint(inv, from, tarball),
    nodes,
    findings,
    canProceed: !findings.some((x) => x.severity === 'blocker'),
  };
}
