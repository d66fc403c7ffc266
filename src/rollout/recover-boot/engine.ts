// `recover-boot`: the documented boot-path rollback (reference/emqx-hot-upgrade.md "Rollback"):
// before the node's next restart, remove <RootDir>/relup/current (optionally relup/<vsn>/) and
// restart it into the old tree. decideRecoverBoot() is the pure decision; it refuses once the node
// booted from the new tree, because then the new release has already run on this data.
import * as cmd from '../../emqx/commands.js';
import type { NodeSpec } from '../../inventory/types.js';
import { describeResult } from '../../remote/exec.js';
import { shq } from '../../util/shellQuote.js';
import type { RemoteHost } from '../../remote/types.js';
import { RolloutError } from '../../util/errors.js';
import { bootState, describeBootState } from '../observe/bootState.js';
import { hostOf, type RunContext } from '../core/context.js';
import { NodeFailure } from '../core/failure.js';
import type { NodeFacts } from '../core/facts.js';
import { observeNode } from '../observe/node.js';
import { restartAndGate } from '../restart/node.js';
import { emitObserved } from '../core/emit.js';
import {
  emitBlocked,
  emitDeclined,
  throwIfAborted,
  withRun,
  type Outcome,
  type LockOptions,
  type MutableRow,
} from '../core/run.js';
import type { Finding, ReportRow } from '../core/types.js';

/** What the node's disk says besides the facts: the base tree's version and which relup trees exist. */
export interface InstallFacts {
  /** REL_VSN of `<RootDir>/releases/emqx_vars`: the version the base tree boots. */
  readonly baseVersion: string | null;
  /** Version directories under `<RootDir>/relup/`. */
  readonly relupTrees: readonly string[];
}

export type RecoverDecision =
  | { readonly kind: 'recover'; readonly target: string; readonly back: string }
  | {
      readonly kind: 'refuse';
      readonly code: 'booted-new' | 'nothing-to-recover' | 'not-running' | 'in-progress' | 'unclear';
      readonly reason: string;
    };

// A marker's content becomes part of an `rm -rf` path: only a plain version word may get there.
const VERSION_WORD = /^[0-9A-Za-z][0-9A-Za-z._+-]*$/;

export function decideRecoverBoot(f: NodeFacts, d: InstallFacts): RecoverDecision {
  const b = bootState(f);
  switch (b.kind) {
    case 'unreachable':
      return { kind: 'refuse', code: 'not-running', reason: `${f.node} is unreachable: ${b.message}` };
    case 'down':
      return {
        kind: 'refuse',
        code: 'not-running',
        reason: `${f.node} is not running, so it cannot be told whether it already booted from the new tree; start it or inspect it by hand`,
      };
    case 'in-progress':
      return {
        kind: 'refuse',
        code: 'in-progress',
        reason: `a relup upgrade is in progress on ${f.node}; wait for it to finish`,
      };
    case 'unclear':
      return { kind: 'refuse', code: 'unclear', reason: `${f.node}: ${b.reason}` };
    case 'booted-new':
      return {
        kind: 'refuse',
        code: 'booted-new',
        reason: `${f.node} already booted from relup/${b.target}/ (relup status idle while relup/current holds ${b.target}): the new release has run on this node's data, so the boot-path rollback no longer applies`,
      };
    case 'no-marker':
      if (b.version !== null && b.version !== d.baseVersion && d.relupTrees.includes(b.version)) {
        return {
          kind: 'refuse',
          code: 'booted-new',
          reason: `${f.node} runs ${b.version} and relup/${b.version}/ exists, but relup/current is gone: it booted from the new tree (or the marker was removed by hand); nothing for recover-boot to undo`,
        };
      }
      return {
        kind: 'refuse',
        code: 'nothing-to-recover',
        reason: `nothing to recover on ${f.node}: no relup/current marker (runs ${b.version ?? 'unknown'}, base tree ${d.baseVersion ?? 'unknown'})`,
      };
    case 'pending':
      if (!VERSION_WORD.test(b.target))
        return {
          kind: 'refuse',
          code: 'unclear',
          reason: `relup/current on ${f.node} holds ${JSON.stringify(b.target)}, not a version`,
        };
      if (d.baseVersion === null)
        return {
          kind: 'refuse',
          code: 'unclear',
          reason: `could not read REL_VSN from the base tree's releases/emqx_vars on ${f.node}: no old version to go back to`,
        };
      if (d.baseVersion === b.target)
        return {
          kind: 'refuse',
          code: 'unclear',
          reason: `relup/current names ${b.target}, which is the base tree's own version`,
        };
      return { kind: 'recover', target: b.target, back: d.baseVersion };
  }
}

/** What the boot-path rollback cannot undo, said plainly before anything is done. */
export function cannotUndo(
  spec: NodeSpec,
  d: { target: string; back: string },
  backup: BackupRecord | null,
  journalFile: string,
): string[] {
  return [
    `recover-boot only changes which tree ${spec.name} boots: ${d.target} (relup/${d.target}/) → ${d.back} (base tree). It cannot undo:`,
    `  - live state changes made by the hot upgrade: its code changes ran in the running VM, and its post-upgrade callbacks may have changed tables or config on disk; they stay`,
    `  - data written since the hop (sessions, retained messages, rules, config changes made while running ${d.target}); ${d.back} will read it as it is`,
    `the restart drops ${spec.name}'s MQTT clients (they reconnect to the other nodes)`,
    backup
      ? `to return data/ etc/ log/ to their state before the hop, restore the backup taken by run ${backup.runId}${backup.ts ? ` at ${backup.ts}` : ''}: ${backup.path} (on ${spec.name})`
      : `no backup of ${spec.name} is recorded in ${journalFile}: a full restore needs your own backup`,
  ];
}

export interface BackupRecord {
  readonly path: string;
  readonly runId: string;
  readonly ts: string | null;
}

/** The newest `kind: 'backup'` journal record of this node (pure). */
export function newestBackup(records: readonly object[], node: string): BackupRecord | null {
  let best: BackupRecord | null = null;
  for (const raw of records) {
    const r = raw as Record<string, unknown>;
    if (r.kind === 'backup' && r.node === node && typeof r.path === 'string')
      best = {
        path: r.path,
        runId: typeof r.runId === 'string' ? r.runId : '?',
        ts: typeof r.ts === 'string' ? r.ts : null,
      };
  }
  return best;
}

export function installProbe(rootDir: string): string {
  const vars = shq(`${rootDir}/releases/emqx_vars`);
  const relup = shq(`${rootDir}/relup`);
  return `sed -n 's/^REL_VSN="\\([^"]*\\)".*/base \\1/p' ${vars}; if [ -d ${relup} ]; then for d in ${relup}/*/; do [ -d "$d" ] && printf 'tree %s\\n' "$(basename -- "$d")"; done; fi; true`;
}

export function parseInstallProbe(stdout: string): InstallFacts {
  const base = /^base (\S+)$/m.exec(stdout)?.[1] ?? null;
  const relupTrees = [...stdout.matchAll(/^tree (\S+)$/gm)].map((m) => m[1]);
  return { baseVersion: base, relupTrees };
}

export function removeMarkerCommand(spec: NodeSpec, target: string, removeTree: boolean): string {
  const marker = shq(cmd.markerPath(spec.rootDir));
  const tree = shq(`${spec.rootDir}/relup/${target}`);
  return [
    `rm -f -- ${marker}`,
    ...(removeTree ? [`rm -rf -- ${tree}`] : []),
    `if [ -e ${marker} ]; then echo 'relup/current is still there' >&2; exit 1; fi`,
    ...(removeTree ? [`if [ -e ${tree} ]; then echo ${shq(`relup/${target}/ is still there`)} >&2; exit 1; fi`] : []),
  ].join(' && ');
}

export interface RecoverBootOptions {
  readonly node: NodeSpec;
  readonly removeTree: boolean;
  readonly backup: BackupRecord | null;
  readonly journalFile: string;
  readonly confirm: (d: { target: string; back: string }) => Promise<boolean>;
  readonly lock: LockOptions;
}

export interface RecoverBootResult {
  readonly outcome: Outcome;
  readonly decision: RecoverDecision | null;
  readonly rows: readonly ReportRow[];
  readonly error?: RolloutError;
}

async function observeForRecovery(
  ctx: RunContext,
  host: RemoteHost,
  spec: NodeSpec,
): Promise<{ facts: NodeFacts; install: InstallFacts }> {
  const facts = await observeNode(host, spec, { tarballName: null, signal: ctx.signal });
  throwIfAborted(ctx, null, `observing ${spec.name} (it was not changed)`);
  const r = await host.exec(installProbe(spec.rootDir), { timeoutMs: 30_000, signal: ctx.signal });
  throwIfAborted(ctx, r, `reading the install of ${spec.name} (it was not changed)`);
  return { facts, install: parseInstallProbe(r.stdout) };
}

export async function runRecoverBoot(ctx: RunContext, opts: RecoverBootOptions): Promise<RecoverBootResult> {
  const spec = opts.node;
  const t0 = ctx.now().getTime();
  ctx.emit({
    type: 'rollout.started',
    command: 'recover-boot',
    cluster: ctx.inv.cluster,
    runId: ctx.runId,
    nodes: [spec.name],
  });
  const row: MutableRow = {
    node: spec.name,
    from: null,
    to: null,
    outcome: 'untouched',
    gatesPassed: 0,
    gatesTotal: 0,
  };
  let decision: RecoverDecision | null = null;
  const result = (outcome: Outcome, error?: RolloutError): RecoverBootResult => ({
    outcome,
    decision,
    rows: [row],
    ...(error ? { error } : {}),
  });
  const blocked = (code: string, reason: string, fix: string | undefined, err: RolloutError): RecoverBootResult => {
    const finding: Finding = { code, severity: 'blocker', node: spec.name, message: reason, ...(fix ? { fix } : {}) };
    ctx.emit({ type: 'preflight.finding', ...finding });
    ctx.emit({
      type: 'step.finished',
      node: spec.name,
      step: 'preflight',
      ok: false,
      durationMs: ctx.now().getTime() - t0,
    });
    emitBlocked(ctx, err, [finding]);
    return result('blocked', err);
  };
  return withRun(
    ctx,
    { mode: 'recover-boot', target: () => (decision?.kind === 'recover' ? decision.target : null) },
    async ({ flight, lock }) => {
      ctx.emit({
        type: 'step.started',
        node: spec.name,
        step: 'preflight',
        detail: 'relup/current, relup status, running version, base tree',
      });
      const host = ctx.hosts.get(spec.name);
      if (!host) {
        const u = ctx.unreachable.get(spec.name);
        const reason = `${spec.name} is unreachable: ${u?.message ?? 'not connected'}`;
        decision = { kind: 'refuse', code: 'not-running', reason };
        return blocked(
          u?.code ?? 'node-unreachable',
          reason,
          'fix the SSH connection to the node (see the evidence), then re-run',
          new RolloutError('preflight-blocked', `recover-boot refused: ${reason}`, { details: u?.details ?? [] }),
        );
      }
      const first = await observeForRecovery(ctx, host, spec);
      emitObserved(ctx, first.facts);
      const d = decideRecoverBoot(first.facts, first.install);
      decision = d;
      row.from = first.facts.version;
      row.to = first.facts.version;
      ctx.note({ kind: 'recover.decision', runId: ctx.runId, node: spec.name, decision: d, install: first.install });
      if (d.kind === 'refuse') {
        const fix =
          d.code === 'booted-new'
            ? 'the documented way back is a full restore: stop the node, restore data/ etc/ log/ from the pre-upgrade backup, reinstall the old release, start'
            : d.code === 'nothing-to-recover'
              ? 'nothing to do'
              : 'inspect the node (`emqx-rollout status`) and re-run';
        const backupHint = d.code === 'booted-new' && opts.backup ? ` (pre-upgrade backup: ${opts.backup.path})` : '';
        return blocked(
          `recover-${d.code}`,
          d.reason,
          `${fix}${backupHint}`,
          new RolloutError('preflight-blocked', `recover-boot refused: ${d.reason}`, { hint: `${fix}${backupHint}` }),
        );
      }
      ctx.emit({
        type: 'step.finished',
        node: spec.name,
        step: 'preflight',
        ok: true,
        durationMs: ctx.now().getTime() - t0,
      });

      for (const l of cannotUndo(spec, d, opts.backup, opts.journalFile))
        ctx.emit({ type: 'log', level: 'warn', node: spec.name, message: l });
      if (!(await opts.confirm(d)))
        return result(
          'declined',
          emitDeclined(ctx, 'recover-boot declined at the confirmation prompt; nothing was changed'),
        );
      throwIfAborted(ctx, null, 'taking the cluster lock (nothing was changed)');

      await lock(opts.lock);
      // The world may have moved between the prompt and the lock: decide again on fresh facts.
      let t = ctx.now().getTime();
      ctx.emit({ type: 'step.started', node: spec.name, step: 'gate-before' });
      const again = await observeForRecovery(ctx, hostOf(ctx, spec.name), spec);
      const d2 = decideRecoverBoot(again.facts, again.install);
      const same = d2.kind === 'recover' && d2.target === d.target && d2.back === d.back;
      ctx.emit({
        type: 'gate.checked',
        node: spec.name,
        gate: 'pending',
        phase: 'before',
        ok: same,
        message: same
          ? `hot-upgraded to ${d.target}, pending restart; base tree ${d.back}`
          : describeBootState(bootState(again.facts)),
      });
      ctx.emit({
        type: 'step.finished',
        node: spec.name,
        step: 'gate-before',
        ok: same,
        durationMs: ctx.now().getTime() - t,
      });
      if (!same)
        throw new NodeFailure(
          spec.name,
          'gate-before:pending',
          d2.kind === 'refuse' ? d2.reason : `the node changed since it was observed (now ${d2.target} → ${d2.back})`,
          [],
          { kind: 'before-change' },
        );
      throwIfAborted(ctx, null, `about to remove relup/current on ${spec.name} (it was not changed)`);

      t = ctx.now().getTime();
      const rm = removeMarkerCommand(spec, d.target, opts.removeTree);
      ctx.emit({ type: 'step.started', node: spec.name, step: 'recover', detail: rm });
      flight.note = `removing relup/current${opts.removeTree ? ` and relup/${d.target}/` : ''} on ${spec.name} was running and ${spec.name} was NOT restarted: the marker may be gone (then its next start boots ${d.back}) — check \`ls ${spec.rootDir}/relup/\`, then re-run recover-boot or start over`;
      // Not tied to ctx.signal: two rm's that take milliseconds; stopping between them gains nothing.
      await ctx.commit({
        kind: 'recover.remove',
        runId: ctx.runId,
        node: spec.name,
        target: d.target,
        removeTree: opts.removeTree,
      });
      const r = await hostOf(ctx, spec.name).exec(rm, { timeoutMs: 60_000 });
      if (r.aborted)
        throw new RolloutError('interrupted', `interrupted while removing relup/current on ${spec.name}`, {
          cause: ctx.signal.reason,
        });
      if (r.exitCode !== 0) {
        ctx.emit({
          type: 'step.finished',
          node: spec.name,
          step: 'recover',
          ok: false,
          durationMs: ctx.now().getTime() - t,
          message: `exit ${r.exitCode ?? r.signal}`,
        });
        throw new NodeFailure(spec.name, 'recover', 'could not remove the boot marker', describeResult(r), {
          kind: 'recover-remove',
        });
      }
      ctx.emit({
        type: 'step.finished',
        node: spec.name,
        step: 'recover',
        ok: true,
        durationMs: ctx.now().getTime() - t,
        message: opts.removeTree ? `removed relup/current and relup/${d.target}/` : 'removed relup/current',
      });
      flight.note = `relup/current is gone on ${spec.name} but it was NOT restarted yet: it still runs the hot-upgraded ${d.target}; its next start boots ${d.back} — restart it with the inventory's restart command and check that \`${spec.rootDir}/bin/emqx ctl status\` says ${d.back}`;

      t = ctx.now().getTime();
      await restartAndGate(ctx, spec, { version: d.back, tree: 'base', mode: 'recover-boot' }, row, flight);
      flight.note = null;
      row.outcome = 'restarted';
      row.to = d.back;
      row.durationMs = ctx.now().getTime() - t;
      ctx.emit({
        type: 'node.done',
        node: spec.name,
        outcome: 'restarted',
        from: d.target,
        to: d.back,
        durationMs: row.durationMs,
      });
      ctx.emit({ type: 'rollout.done', rows: [row], durationMs: ctx.now().getTime() - t0 });
      return result('done');
    },
    (outcome, error) => {
      if (outcome === 'halted' && error instanceof NodeFailure) row.outcome = 'failed';
      return result(outcome, error);
    },
  );
}
