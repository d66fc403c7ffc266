// Gate judgement: pure functions from observed facts to pass/fail with evidence. The engine runs the
// commands (observe + inventory gate commands) and hands the results here.
import type { Inventory, NodeSpec } from '../../inventory/types.js';
import { shq } from '../../util/shellQuote.js';
import type { ExecResult } from '../../util/execResult.js';
import { newestLogRow, type NodeFacts } from '../core/facts.js';
import type { MqttProbeCounts } from '../core/events.js';

export interface GateResult {
  readonly gate: string;
  readonly ok: boolean;
  readonly message: string;
  readonly evidence?: readonly string[];
  /** The `mqtt` gate's counts (gate.checked carries them). */
  readonly probe?: MqttProbeCounts;
}

const lastLines = (s: string, n = 8): string[] =>
  s
    .trimEnd()
    .split('\n')
    .slice(-n)
    .filter((l) => l.length > 0);

/** Cluster view: every inventory node must be running as seen from this node. */
export function judgeCluster(inv: Inventory, f: NodeFacts): GateResult {
  if (f.cluster?.kind !== 'cluster') {
    return {
      gate: 'cluster',
      ok: false,
      message: `could not read cluster status on ${f.node}`,
      evidence: f.cluster?.kind === 'unrecognised' ? lastLines(f.cluster.raw) : [],
    };
  }
  const running = f.cluster.running;
  const missing = inv.nodes.map((n) => n.name).filter((n) => !running.includes(n));
  return missing.length === 0
    ? { gate: 'cluster', ok: true, message: `all ${inv.nodes.length} nodes running in cluster status` }
    : {
        gate: 'cluster',
        ok: false,
        message: `not running in cluster status (seen from ${f.node}): ${missing.join(', ')}`,
        evidence: [
          `running_nodes: ${running.join(', ') || '(none)'}`,
          `stopped_nodes: ${f.cluster.stopped.join(', ') || '(none)'}`,
        ],
      };
}

/** Before touching a node: it runs `from`, is idle, the staged bytes are right, the cluster is whole. */
export function judgeBefore(
  inv: Inventory,
  f: NodeFacts,
  expect: { from: string; sha256: string; size?: number },
): GateResult[] {
  const out: GateResult[] = [];
  out.push(
    f.ctl?.kind === 'running' && f.version === expect.from && f.ctl.status === 'started'
      ? { gate: 'version', ok: true, message: `running ${expect.from}` }
      : {
          gate: 'version',
          ok: false,
          message:
            f.ctl?.kind === 'down'
              ? `${f.node} is not running`
              : `expected ${expect.from}, found ${f.version ?? 'unknown'}`,
        },
  );
  out.push(
    f.relupStatus?.kind === 'idle'
      ? { gate: 'relup-status', ok: true, message: 'relup status idle' }
      : {
          gate: 'relup-status',
          ok: false,
          message: `relup status is ${f.relupStatus?.kind ?? 'unknown'}, expected idle (another upgrade in progress or pending restart?)`,
        },
  );
  out.push(judgeStaged(f, expect));
  if (f.stagedReadable)
    out.push({ gate: 'staged-readable', ok: f.stagedReadable.ok, message: f.stagedReadable.message });
  out.push(judgeCluster(inv, f));
  return out;
}

/**
 * The staged tarball: by hash when observed so, else (gate-before of a tarball this run verified by
 * sha256 on the node) by size and the digest its sidecar names; the relup handler checks the bytes
 * against the sidecar again before any change.
 */
export function judgeStaged(f: NodeFacts, expect: { sha256: string; size?: number }): GateResult {
  const s = f.stagedBySize;
  if (s) {
    const ok = s.size !== null && s.size === expect.size && s.sidecar === expect.sha256;
    return ok
      ? {
          gate: 'staged',
          ok: true,
          message: `staged tarball in place (${s.size} bytes, sha256 verified on the node at staging); sidecar names it`,
        }
      : {
          gate: 'staged',
          ok: false,
          message:
            s.size === null
              ? 'staged tarball missing'
              : s.size !== expect.size
                ? `staged tarball is ${s.size} bytes, expected ${expect.size ?? 'unknown'}`
                : s.sidecar === null
                  ? 'staged sidecar missing or unreadable'
                  : `staged sidecar names ${s.sidecar} ≠ ${expect.sha256}`,
        };
  }
  return f.stagedSha256 === expect.sha256 && f.stagedSidecar
    ? { gate: 'staged', ok: true, message: 'staged tarball sha256 matches the sidecar' }
    : {
        gate: 'staged',
        ok: false,
        message:
          f.stagedSha256 === null
            ? 'staged tarball missing'
            : !f.stagedSidecar
              ? 'staged sidecar missing'
              : `staged tarball sha256 ${f.stagedSha256} ≠ ${expect.sha256}`,
      };
}

/**
 * After `relup upgrade`: the node must prove the hop from five independent angles, plus connections
 * and the operator's own checks.
 *
 * Connections: see judgeConnections.
 */
export function judgeAfter(
  inv: Inventory,
  f: NodeFacts,
  expect: { target: string; connectionsBefore: number | null },
  commandResults: readonly ExecResult[],
): GateResult[] {
  const t = expect.target;
  const out: GateResult[] = [];
  out.push(
    f.ctl?.kind === 'running' && f.version === t && f.ctl.status === 'started'
      ? { gate: 'version', ok: true, message: `ctl status: ${f.ctl.node} ${t} is started` }
      : {
          gate: 'version',
          ok: false,
          message:
            f.ctl?.kind === 'running'
              ? `ctl status reports ${f.version} (${f.ctl.status}), expected ${t} started`
              : `${f.node} is not running after the upgrade`,
          evidence: f.ctl?.kind === 'down' ? [f.ctl.message] : [],
        },
  );
  out.push(
    f.relupStatus?.kind === 'hot-upgraded' && f.relupStatus.target === t
      ? { gate: 'relup-status', ok: true, message: `relup status: hot-upgraded to ${t}` }
      : {
          gate: 'relup-status',
          ok: false,
          message: `relup status is ${f.relupStatus?.kind === 'hot-upgraded' ? `hot-upgraded to ${f.relupStatus.target}` : (f.relupStatus?.kind ?? 'unknown')}, expected hot-upgraded to ${t}`,
        },
  );
  out.push(
    f.marker === t
      ? { gate: 'marker', ok: true, message: `relup/current holds ${t}` }
      : {
          gate: 'marker',
          ok: false,
          message: f.marker === null ? 'relup/current is missing' : `relup/current holds ${f.marker}, expected ${t}`,
        },
  );
  const row = newestLogRow(f);
  out.push(
    row && row.status === 'finished' && row.result.kind === 'success' && row.target === t
      ? { gate: 'relup-log', ok: true, message: `newest relup log row: ${row.from} -> ${t} success` }
      : {
          gate: 'relup-log',
          ok: false,
          message: row ? `newest relup log row is not a success to ${t}` : 'relup logs has no rows',
          evidence: row ? [row.line] : [],
        },
  );
  out.push(judgeCluster(inv, f));
  out.push(judgeConnections(inv.gates, expect.connectionsBefore, f.connections));
  inv.gates.commands.forEach((c, i) => {
    const r = commandResults[i];
    out.push(
      r && r.exitCode === 0
        ? { gate: `command:${i}`, ok: true, message: `\`${c}\` passed` }
        : {
            gate: `command:${i}`,
            ok: false,
            message: `\`${c}\` failed${r ? ` (exit ${r.exitCode ?? r.signal}${r.timedOut ? ', timed out' : ''})` : ''}`,
            evidence: r ? [...lastLines(r.stdout, 5), ...lastLines(r.stderr, 5)] : [],
          },
    );
  });
  return out;
}

/**
 * A hot upgrade keeps MQTT connections (only a restart drops them), so two rules:
 * - **Total loss** fails from a single connection up: 5 before, 0 after fails. However small the node,
 *   every client gone is the clearest sign the VM restarted or evicted them.
 * - **Ratio** for partial drops, judged only from `minConnectionsJudged` (default 10) before: with
 *   minConnectionRatio 0.5 and 1,000 before, 499 after fails and 500 passes (ceil(1000 × 0.5) = 500);
 *   with 10 before, 4 fails and 5 passes. Below the floor a partial drop is noise (9 → 1 passes:
 *   clients come and go), but 9 → 0 still fails by the first rule.
 * An unreadable count after fails closed; an unknown count before (the probe failed then) passes
 * with the count shown, as there is nothing to compare against.
 */
export function judgeConnections(
  g: { readonly minConnectionRatio: number; readonly minConnectionsJudged: number },
  before: number | null,
  after: number | null,
): GateResult {
  const minRatio = g.minConnectionRatio;
  if (after === null)
    return { gate: 'connections', ok: false, message: 'could not read connections.count from broker stats' };
  if (before !== null && before >= 1 && after === 0) {
    return {
      gate: 'connections',
      ok: false,
      message: `every connection lost: ${before} → 0`,
      evidence: [
        'a hot upgrade keeps MQTT connections; losing all of them means the node restarted or evicted every client',
      ],
    };
  }
  if (before === null || before < g.minConnectionsJudged) {
    const why = before === null ? 'before: unknown' : `before: ${before}, ratio judged from ${g.minConnectionsJudged}`;
    return { gate: 'connections', ok: true, message: `${after} connections (${why})` };
  }
  const need = Math.ceil(before * minRatio);
  return after >= need
    ? { gate: 'connections', ok: true, message: `${after} connections kept of ${before}` }
    : {
        gate: 'connections',
        ok: false,
        message: `connections collapsed: ${before} → ${after} (minimum ${need}, ratio ${minRatio})`,
        evidence: [
          'a hot upgrade keeps MQTT connections; a drop this size means the node restarted or evicted clients',
        ],
      };
}

/**
 * Substitute `{rootDir}`, `{node}` and `{host}` in an inventory command template. The values are
 * shell-quoted (`'/opt/emqx'/bin/emqx` is a valid path word), so a rootDir with spaces stays one word.
 */
export function renderTemplate(template: string, spec: NodeSpec): string {
  return template
    .replaceAll('{rootDir}', shq(spec.rootDir))
    .replaceAll('{node}', shq(spec.name))
    .replaceAll('{host}', shq(spec.host));
}
