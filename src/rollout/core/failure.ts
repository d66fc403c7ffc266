// The one failure taxonomy: every way a node can fail in any command, and the documented recovery
// for each (reference/emqx-hot-upgrade.md "Rollback", facts §6 and the addendum). The engine picks a
// case by what it saw; the words are what an operator at 3 a.m. needs: what state the node is in,
// and the next command. NodeFailure carries the case; core/run.ts turns it into rollout.halted.
import type { NodeSpec } from '../../inventory/types.js';
import { RolloutError } from '../../util/errors.js';

export type FailureCase =
  // ---- upgrade --------------------------------------------------------------------------------
  | { readonly kind: 'before-change' } // gate-before, backup, staging, lock: the node is untouched
  | { readonly kind: 'refused'; readonly errType: string } // relup refused in check_and_unpack: nothing applied
  | { readonly kind: 'vm-restarted' } // crash during code change → VM restarted on the old tree
  | { readonly kind: 'timed-out' } // deadline expired while relup upgrade ran
  | { readonly kind: 'applied-gate-failed'; readonly backup: string | null } // hop applied, a gate failed
  | { readonly kind: 'applied-no-marker'; readonly stage: string; readonly backup: string | null } // code changed, no marker
  | { readonly kind: 'unknown-state' } // resume found a node mid-upgrade it cannot judge
  // the SSH connection died under a command: before the hop, while it ran, or during its gates
  | { readonly kind: 'connection-lost'; readonly during: 'before' | 'hop' | 'after' }
  // ---- restart / recover-boot -------------------------------------------------------------------
  | { readonly kind: 'evacuation' } // evacuation started but did not drain / could not be read
  | { readonly kind: 'restart-command' } // the restart command failed or timed out
  | { readonly kind: 'not-back' } // restarted, but the gates did not pass before the deadline
  | { readonly kind: 'evacuation-stop' } // restarted fine, but `rebalance stop` failed
  | { readonly kind: 'recover-remove' } // recover-boot: removing the marker/tree failed
  | { readonly kind: 'recover-restart' } // recover-boot: marker removed, restart/gates failed
  // ---- cleanup / logs --clear -------------------------------------------------------------------
  | { readonly kind: 'cleanup-remove' } // cleanup: a staged file could not be removed
  | { readonly kind: 'logs-clear' } // logs --clear: relup logs-clear did not confirm
  // `relup upgrade` printed nothing and exited 1 (facts A2), classified by a re-observation:
  | { readonly kind: 'deploy-failed' } // B: copying into relup/<T>/ failed (sh_aborted); no code changed
  | { readonly kind: 'empty-unknown'; readonly why: string }; // the re-observation could not tell

/** Which command failed: the recovery names the command to re-run. */
export type RunMode = 'upgrade' | 'restart' | 'recover-boot' | 'cleanup' | 'logs';

/** A node failed a step or a gate: halt the run (exit 4) with the evidence and the recovery. */
export class NodeFailure extends RolloutError {
  readonly node: string;
  readonly check: string;
  readonly evidence: readonly string[];
  readonly failure: FailureCase;

  constructor(node: string, check: string, message: string, evidence: readonly string[], failure: FailureCase) {
    super('halted', `${node}: ${message}`, { details: evidence });
    this.name = 'NodeFailure';
    this.node = node;
    this.check = check;
    this.evidence = evidence;
    this.failure = failure;
  }
}

export function rerunCommand(mode: RunMode, spec: NodeSpec): string {
  switch (mode) {
    case 'upgrade':
      return 'the same command';
    case 'restart':
      return '`emqx-rollout restart`';
    case 'recover-boot':
      return `\`emqx-rollout recover-boot --node ${spec.name}\``;
    case 'cleanup':
      return '`emqx-rollout cleanup`';
    case 'logs':
      return '`emqx-rollout logs --clear`';
  }
}

const refusalFix: Record<string, string> = {
  sha256_mismatch:
    'the staged tarball is corrupt or the sidecar is wrong: re-run (staging verifies and replaces the file)',
  missing_sha256_sidecar: 'the sidecar is missing next to the staged tarball: re-run to stage it again',
  patches_dir_not_empty:
    'remove the stale data/patches/*.beam if the target contains those fixes, or re-run with --force',
  no_relup_entry:
    'install the emqx_relup plugin version whose catalog lists this hop; note the handler already deployed relup/<vsn>/ (harmless, no marker written)',
  duplicate_pending_target:
    'this target is already deployed and pending restart: run `emqx-rollout restart`, or remove the marker to retry',
  already_upgraded_to_target_vsn: 'the node already runs the target: re-run, it will be skipped',
  no_write_permission: 'make <RootDir>/relup writable for the EMQX user, then re-run',
  os_arch_mismatch: "use the tarball built for this node's OS and architecture",
  otp_major_vsn_mismatch: "use the official tarball built on the node's OTP major",
  otp_compatible_mismatch: "use the official tarball built on EMQX's OTP fork",
};

/**
 * The recovery steps for a failure of `mode` on `spec` (target: the version the run was taking the
 * node to, or null when the command has none).
 */
export function recoverySteps(
  c: FailureCase,
  spec: NodeSpec,
  target: string | null,
  mode: RunMode = 'upgrade',
): string[] {
  const root = spec.rootDir;
  const bin = `${root}/bin/emqx`;
  const rerun = rerunCommand(mode, spec);
  switch (c.kind) {
    case 'before-change':
      return [`${spec.name} was not changed. Fix the cause above and re-run ${rerun}; nodes already done are skipped.`];
    case 'refused':
      return [
        `${spec.name} refused the hop before applying anything (err_type ${c.errType}); it still runs the old version.`,
        refusalFix[c.errType] ?? 'fix the cause named in the reason, then re-run the same command.',
      ];
    case 'vm-restarted':
      return [
        `The code change crashed and ${spec.name} restarted its VM on the OLD tree (no marker written); its MQTT clients were disconnected.`,
        `The relup log row stays 'in-progress': inspect \`${root}/bin/emqx ctl relup logs\` and the node's log/ for the crash.`,
        `Clear the stale row with \`${root}/bin/emqx ctl relup logs-clear\` before any retry.`,
        'Do not retry until the cause is understood: callbacks must be idempotent, and the same crash will restart the VM again.',
      ];
    case 'timed-out':
      return [
        `The deadline expired while \`relup upgrade\` ran on ${spec.name}. The upgrade may still be running inside the VM (killing the CLI does not stop it).`,
        `Watch \`${root}/bin/emqx ctl relup status\` until it is no longer in-progress, then run \`emqx-rollout status\`.`,
        'Re-running the same command resumes: a node that reached the target is gated, not upgraded again.',
      ];
    case 'connection-lost':
      return c.during === 'before'
        ? [
            `${spec.name} was not changed: the connection dropped before its hop. Check the network path and sshd, then re-run ${rerun}; nodes already done are skipped.`,
          ]
        : c.during === 'hop'
          ? [
              `The connection to ${spec.name} dropped while \`relup upgrade\` ran. The upgrade goes on inside the VM (a closed channel does not stop it).`,
              `Re-run ${rerun} once ${spec.name} is reachable: it re-observes the node and never sends the upgrade again; a completed hop is gated, an unprovable one halts for you.`,
            ]
          : [
              `The hop to ${target ?? '?'} WAS applied on ${spec.name}; the connection dropped during its gates.`,
              `Re-run ${rerun} once ${spec.name} is reachable: it re-gates the node (never upgrades it again) before going on.`,
            ];
    case 'applied-gate-failed':
      return [
        `The hop to ${target ?? '?'} WAS applied on ${spec.name}, but a gate failed. There is no in-place rollback of the live code change.`,
        `Boot-path rollback, before the next restart: \`emqx-rollout recover-boot --node ${spec.name}\` (removes ${root}/relup/current, optionally ${root}/relup/${target ?? '<vsn>'}/, restarts into the old tree). Live state changes made by the upgrade stay in effect.`,
        c.backup
          ? `Full restore: stop the node, restore data/ etc/ log/ from ${c.backup}, reinstall the old release, start.`
          : 'Full restore: restore data/ from your own backup (this run made none: --no-backup) and reinstall the old release.',
        'Or, if the failing check is understood and acceptable, fix it and re-run: the node at the target is re-gated, not upgraded again.',
      ];
    case 'applied-no-marker':
      return [
        `The code change to ${target ?? '?'} ran on ${spec.name}, then the ${c.stage} stage failed, so ${root}/relup/current was NOT written: the node runs new code now but would boot the OLD release on its next restart.`,
        'Post-upgrade callbacks may have changed data; there is no in-place rollback of live code.',
        `Either restart the node to return to the old release consistently (\`${root}/bin/emqx stop && ${root}/bin/emqx start\`), then re-run to retry the hop (callbacks must be idempotent);`,
        c.backup
          ? `or restore data/ etc/ log/ from ${c.backup} and reinstall the old release.`
          : 'or restore data/ from your own backup (this run made none: --no-backup) and reinstall the old release.',
        'A re-run will not skip this node: it is re-gated (and halts again) until it is consistent.',
      ];
    case 'deploy-failed':
      return [
        `${spec.name} failed while copying the release into ${root}/relup/${target}/ (the handler's \`cp -Rp\` aborted: disk full or permission denied); no code was changed and it still runs the old version.`,
        `Look in the node's log for \`sh_failed\` (the cp error) and \`check_upgrade_failed\`; check \`df\` and the ownership of ${root}/relup/.`,
        `The relup log row stays 'in-progress' (stale): clear it with \`${root}/bin/emqx ctl relup logs-clear\`; the partial ${root}/relup/${target}/ is replaced by the next attempt.`,
        'Then re-run the same command; finished nodes are skipped.',
      ];
    case 'empty-unknown':
      return [
        `\`relup upgrade\` on ${spec.name} exited 1 with no output, and its state could not be classified: ${c.why}.`,
        `Inspect it by hand: \`${root}/bin/emqx ctl status\`, \`relup status\`, \`relup logs\`, \`ls -l ${root}/relup/ ${root}/relup_*\` and the node's log (look for \`sh_failed\`, \`permanent_upgrade_failed\`, \`restart_vm\`).`,
        'When it is settled, re-run the same command.',
      ];
    case 'unknown-state':
      return [
        `${spec.name} was mid-upgrade when the previous controller stopped, and its state does not prove success.`,
        `Inspect it by hand: \`${root}/bin/emqx ctl relup status\`, \`relup logs\`, \`cat ${root}/relup/current\`.`,
        'When it is settled (target reached, or the old version idle), re-run the same command.',
      ];
    case 'evacuation':
      return [
        `${spec.name} is evacuating: its clients were evicted and it refuses new connections. It was NOT restarted.`,
        `Re-admit clients with \`${bin} ctl rebalance stop\`, or raise gates.timeoutSeconds and re-run ${rerun} with --evacuate (eviction runs at a fixed rate).`,
      ];
    case 'restart-command':
      return [
        `The restart command failed on ${spec.name}; the node may be stopped.`,
        `Check \`${bin} ctl status\`; if it is down, start it with \`${bin} start\` and read ${root}/log/ for why it stopped.`,
        `When it runs again, re-run ${rerun}.`,
      ];
    case 'not-back':
      return mode !== 'recover-boot'
        ? [
            `${spec.name} was restarted but did not come back healthy${target ? ` on ${target} from relup/${target}/` : ''} before the deadline.`,
            `Check \`${bin} ctl status\` and ${root}/log/; if it is down, \`${bin} start\`.`,
            target
              ? `If it cannot boot from relup/${target}/: \`rm ${root}/relup/current\`, then \`${bin} start\` boots the old tree (data written meanwhile stays; full restore from the pre-upgrade backup otherwise).`
              : 'If it cannot boot, restore from the pre-upgrade backup.',
            `The remaining nodes were not touched; re-run ${rerun} once this node is healthy.`,
          ]
        : [
            `relup/current was removed on ${spec.name} and it was restarted, but it did not come back healthy on the old release before the deadline.`,
            `Check \`${bin} ctl status\` and ${root}/log/; if it is down, \`${bin} start\` (it boots the old tree now).`,
            'If the old release cannot read the data, restore data/ etc/ from the pre-upgrade backup.',
          ];
    case 'evacuation-stop':
      return [
        `${spec.name} restarted fine but still refuses new clients: \`rebalance stop\` failed.`,
        `Run \`${bin} ctl rebalance stop\` by hand, check \`${bin} ctl rebalance node-status\` says disabled, then re-run ${rerun}.`,
      ];
    case 'recover-remove':
      return [
        `Removing the boot marker on ${spec.name} failed; the node was not restarted and still runs the hot-upgraded code.`,
        `Check permissions on ${root}/relup/ and re-run ${rerun}.`,
      ];
    case 'recover-restart':
      return [
        `relup/current is gone on ${spec.name}, so its next start boots the old tree; the restart did not complete.`,
        `Check \`${bin} ctl status\`; if it is down, \`${bin} start\`.`,
      ];
    case 'cleanup-remove':
      return [
        `Some staged files on ${spec.name} could not be removed (see the evidence); files listed as removed are gone, nothing else was changed.`,
        `Check the ownership and permissions of ${spec.stagingDir}/, then re-run \`emqx-rollout cleanup\` (it removes what is left).`,
      ];
    case 'logs-clear':
      return [
        `\`relup logs-clear\` did not confirm on ${spec.name}; its upgrade history may still be there (check with \`emqx-rollout logs --node ${spec.name}\`).`,
        `Check \`${bin} ctl relup logs\` on the node, then re-run \`emqx-rollout logs --clear\`.`,
      ];
  }
}
