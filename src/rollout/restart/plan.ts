// plan for `restart` (pure): facts → which nodes restart into which relup tree, which are skipped
// and why, and what blocks the run. No I/O.
import { bootLocationDiff, describeDiff } from '../upgrade/realInstall.js';
import type { Inventory } from '../../inventory/types.js';
import { bootState, describeBootState } from '../observe/bootState.js';
import type { NodeFacts } from '../core/facts.js';
import type { Finding } from '../core/types.js';

export interface RestartPlanNode {
  readonly name: string;
  readonly action: 'restart' | 'skip' | 'blocked';
  /** The version in relup/current the node will boot into (restart), or runs (skip booted-new). */
  readonly target: string | null;
  readonly version: string | null;
  readonly reason: string;
}

export interface RestartPlan {
  readonly cluster: string;
  readonly nodes: readonly RestartPlanNode[];
  readonly findings: readonly Finding[];
  /** The one target every pending node boots into, when there is one. */
  readonly target: string | null;
  readonly canProceed: boolean;
}

export function planRestart(inv: Inventory, facts: readonly NodeFacts[]): RestartPlan {
  const findings: Finding[] = [];
  const nodes = inv.nodes.map((spec): RestartPlanNode => {
    const f = facts.find((x) => x.node === spec.name);
    if (!f) return { name: spec.name, action: 'blocked', target: null, version: null, reason: 'not observed' };
    const b = bootState(f);
    const block = (code: string, reason: string, fix: string): RestartPlanNode => {
      findings.push({ code, severity: 'blocker', node: spec.name, message: `${spec.name}: ${reason}`, fix });
      return { name: spec.name, action: 'blocked', target: f.marker, version: f.version, reason };
    };
    switch (b.kind) {
      case 'unreachable':
        return block(
          f.unreachable?.code ?? 'node-unreachable',
          b.message,
          'a rolling restart needs every node reachable and running; fix the connection first',
        );
      case 'down':
        return block(
          'node-down',
          describeBootState(b),
          `start it (\`${spec.rootDir}/bin/emqx start\`) and check \`emqx-rollout status\``,
        );
      case 'in-progress':
        return block(
          'upgrade-in-progress',
          'relup status is in-progress',
          'wait for the upgrade to finish (or see `emqx-rollout status`), then re-run',
        );
      case 'unclear':
        return block(
          'boot-state-unclear',
          b.reason,
          'inspect the node by hand (`relup status`, `cat relup/current`, `ctl status`); restart refuses to guess',
        );
      case 'no-marker':
        return {
          name: spec.name,
          action: 'skip',
          target: null,
          version: f.version,
          reason: 'no relup/current marker: nothing to boot into',
        };
      case 'booted-new':
        return {
          name: spec.name,
          action: 'skip',
          target: b.target,
          version: f.version,
          reason: `already booted from relup/${b.target}/`,
        };
      case 'pending': {
        // Package installs (facts A3 "Risk"): relup/<T>/ holds the tarball's emqx_vars, which may boot
        // with other locations (etc, log, runner user). A preflight blocker for every such node, before
        // anything is stopped; the engine checks again at each node's gate-before.
        const vars = f.relupVars?.[b.target];
        const diff = vars && f.layout ? bootLocationDiff(f.layout, vars) : [];
        if (diff.length > 0) {
          return block(
            'boot-locations-differ',
            `restarting into relup/${b.target}/ would boot with other locations than it runs with now: ${describeDiff(diff)}`,
            `do not restart it into relup/${b.target}/: it keeps running the hot-upgraded code; install the ${b.target} deb/rpm package at the next maintenance restart (remove ${spec.rootDir}/relup/current first, see \`emqx-rollout recover-boot\`), or confirm with EMQX that this tree boots on a package install`,
          );
        }
        return {
          name: spec.name,
          action: 'restart',
          target: b.target,
          version: f.version,
          reason: `hot-upgraded to ${b.target}, pending restart`,
        };
      }
    }
  });
  const targets = [...new Set(nodes.filter((n) => n.action === 'restart').map((n) => n.target))];
  // A node skipped for "no marker" while others run another version is left behind on purpose:
  // say so, so a restart that exits 0 cannot hide a mixed-version cluster.
  const versions = new Set(nodes.map((n) => n.version).filter((v): v is string => v !== null));
  if (versions.size > 1) {
    const newest = [
      ...new Set([...targets, ...nodes.filter((n) => n.action === 'skip' && n.target).map((n) => n.target)]),
    ].filter((v): v is string => !!v);
    for (const n of nodes) {
      if (
        n.action === 'skip' &&
        n.target === null &&
        n.version !== null &&
        newest.length > 0 &&
        !newest.includes(n.version)
      ) {
        findings.push({
          code: 'left-behind',
          severity: 'warning',
          node: n.name,
          message: `${n.name} runs ${n.version} with nothing to boot into, while the cluster moves to ${newest.join(', ')}: it stays on ${n.version}`,
          fix: `upgrade it (emqx-rollout upgrade …) and restart again`,
        });
      }
    }
  }
  return {
    cluster: inv.cluster,
    nodes,
    findings,
    target: targets.length === 1 ? targets[0] : null,
    canProceed: !findings.some((f) => f.severity === 'blocker'),
  };
}
