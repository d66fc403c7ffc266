// Gate judgement around a restart (pure): before a node is restarted, and after it, for both the
// rolling restart into relup/<vsn>/ and recover-boot's restart back into the base tree.
import type { Inventory } from '../../inventory/types.js';
import type { ExecResult } from '../../util/execResult.js';
import { bootState, describeBootState } from '../observe/bootState.js';
import type { NodeFacts } from '../core/facts.js';
import { judgeCluster, type GateResult } from '../upgrade/gates.js';

/** Before restarting into relup/<target>/: running the target (hot), pending restart, cluster whole. */
export function judgeRestartBefore(inv: Inventory, f: NodeFacts, target: string): GateResult[] {
  const b = bootState(f);
  return [
    f.ctl?.kind === 'running' && f.ctl.status === 'started' && f.version === target
      ? { gate: 'version', ok: true, message: `running ${target} (hot-upgraded)` }
      : {
          gate: 'version',
          ok: false,
          message:
            f.ctl?.kind === 'running'
              ? `ctl status reports ${f.version} (${f.ctl.status}), expected ${target} started`
              : `${f.node} is not running`,
          evidence: f.ctl?.kind === 'down' ? [f.ctl.message] : [],
        },
    b.kind === 'pending' && b.target === target
      ? { gate: 'pending', ok: true, message: `relup status: hot-upgraded to ${target}, pending restart` }
      : { gate: 'pending', ok: false, message: `expected a pending hop to ${target}, found: ${describeBootState(b)}` },
    judgeCluster(inv, f),
  ];
}

export interface BootedExpect {
  /** The version the node must run after the restart. */
  readonly version: string;
  /** relup: booted from relup/<version>/ (marker kept); base: booted from the base root (no marker). */
  readonly tree: 'relup' | 'base';
  /** `broker` uptime right before the restart, and right now (seconds; null: unreadable). */
  readonly uptimeBefore: number | null;
  readonly uptimeAfter: number | null;
  /** Controller time since the restart command was sent. */
  readonly elapsedMs: number;
}

/**
 * After a restart. The uptime gate proves the VM really restarted: a VM started after the restart
 * command was sent cannot have been up longer than the time since then. `broker` prints whole
 * seconds, so allow 1 s of rounding: 12 s elapsed → uptime ≤ 13 s passes; a VM that was not
 * restarted and had been up 600 s reports ~612 s and fails. (A node up ≤ 1 s before the restart
 * cannot be told apart this way; the other gates still apply.)
 */
export function judgeBootedInto(
  inv: Inventory,
  f: NodeFacts,
  e: BootedExpect,
  commandResults: readonly ExecResult[],
): GateResult[] {
  const b = bootState(f);
  const out: GateResult[] = [];
  out.push(
    f.ctl?.kind === 'running' && f.ctl.status === 'started' && f.version === e.version
      ? { gate: 'version', ok: true, message: `ctl status: ${f.ctl.node} ${e.version} is started` }
      : {
          gate: 'version',
          ok: false,
          message:
            f.ctl?.kind === 'running'
              ? `ctl status reports ${f.version} (${f.ctl.status}), expected ${e.version} started`
              : `${f.node} is not running`,
          evidence: f.ctl?.kind === 'down' ? [f.ctl.message] : [],
        },
  );
  out.push(
    f.relupStatus?.kind === 'idle'
      ? { gate: 'relup-status', ok: true, message: 'relup status: idle' }
      : {
          gate: 'relup-status',
          ok: false,
          message: `relup status is ${f.relupStatus?.kind === 'hot-upgraded' ? `hot-upgraded to ${f.relupStatus.target} (still the base tree)` : (f.relupStatus?.kind ?? 'unknown')}, expected idle`,
        },
  );
  if (e.tree === 'relup') {
    out.push(
      b.kind === 'booted-new' && b.target === e.version
        ? {
            gate: 'booted',
            ok: true,
            message: `booted from relup/${e.version}/ (relup/current kept, not visible to the VM)`,
          }
        : { gate: 'booted', ok: false, message: `not booted from relup/${e.version}/: ${describeBootState(b)}` },
    );
  } else {
    out.push(
      f.marker === null
        ? { gate: 'booted', ok: true, message: 'booted from the base tree (no relup/current)' }
        : {
            gate: 'booted',
            ok: false,
            message: `relup/current still holds ${f.marker}: the next start would boot relup/${f.marker}/`,
          },
    );
  }
  const limit = Math.ceil(e.elapsedMs / 1000) + 1;
  out.push(
    e.uptimeAfter === null
      ? { gate: 'uptime', ok: false, message: 'could not read the uptime from `emqx ctl broker`' }
      : e.uptimeAfter <= limit
        ? {
            gate: 'uptime',
            ok: true,
            message: `VM restarted: up ${e.uptimeAfter}s (was ${e.uptimeBefore ?? '?'}s before)`,
          }
        : {
            gate: 'uptime',
            ok: false,
            message: `VM was not restarted: up ${e.uptimeAfter}s, but the restart was sent ${Math.round(e.elapsedMs / 1000)}s ago`,
          },
  );
  out.push(judgeCluster(inv, f));
  inv.gates.commands.forEach((c, i) => {
    const r = commandResults[i];
    out.push(
      r && r.exitCode === 0
        ? { gate: `command:${i}`, ok: true, message: `\`${c}\` passed` }
        : {
            gate: `command:${i}`,
            ok: false,
            message: `\`${c}\` failed${r ? ` (exit ${r.exitCode ?? r.signal}${r.timedOut ? ', timed out' : ''})` : ' (not run: the node is not up)'}`,
            evidence: r
              ? [...r.stdout.trimEnd().split('\n').slice(-5), ...r.stderr.trimEnd().split('\n').slice(-5)].filter(
                  (l) => l,
                )
              : [],
          },
    );
  });
  return out;
}
