// The documented recovery for each way a node can fail (reference/emqx-hot-upgrade.md "Rollback",
// facts §6). The engine picks one by the failure's kind; the words are what an operator at 3 a.m.
// needs: what state the node is in, and the next command.
import type { NodeSpec } from '../../inventory/types.js';

export type FailureCase =
  | { readonly kind: 'before-change' } // gate-before, backup, staging: the node is untouched
  | { readonly kind: 'refused'; readonly errType: string } // relup refused in check_and_unpack: nothing applied
  | { readonly kind: 'vm-restarted' } // crash during code change → VM restarted on the old tree
  | { readonly kind: 'timed-out' } // deadline expired while relup upgrade ran
  | { readonly kind: 'applied-gate-failed'; readonly backup: string | null } // hop applied, a gate failed
  | { readonly kind: 'applied-no-marker'; readonly stage: string; readonly backup: string | null } // code changed, no marker
  | { readonly kind: 'unknown-state' } // resume found a node mid-upgrade it cannot judge
  // `relup upgrade` printed nothing and exited 1 (facts A2), classified by a re-observation:
  | { readonly kind: 'deploy-failed' } // B: copying into relup/<T>/ failed (sh_aborted); no code changed
  | { readonly kind: 'empty-unknown'; readonly why: string }; // the re-observation could not tell

const refusalFix: Record<string, string> = {
  sha256_mismatch: 'the staged tarball is corrupt or the sidecar is wrong: re-run (staging verifies and replaces the file)',
  missing_sha256_sidecar: 'the sidecar is missing next to the staged tarball: re-run to stage it again',
  patches_dir_not_empty: 'remove the stale data/patches/*.beam if the target contains those fixes, or re-run with --force',
  no_relup_entry: 'install the emqx_relup plugin version whose catalog lists this hop; note the handler already deployed relup/<vsn>/ (harmless, no marker written)',
  duplicate_pending_target: 'this target is already deployed and pending restart: run `emqx-rollout restart`, or remove the marker to retry',
  already_upgraded_to_target_vsn: 'the node already runs the target: re-run, it will be skipped',
  no_write_permission: 'make <RootDir>/relup writable for the EMQX user, then re-run',
  os_arch_mismatch: 'use the tarball built for this node\'s OS and architecture',
  otp_major_vsn_mismatch: 'use the official tarball built on the node\'s OTP major',
  otp_compatible_mismatch: 'use the official tarball built on EMQX\'s OTP fork',
};

export function recoverySteps(c: FailureCase, spec: NodeSpec, target: string): string[] {
  const root = spec.rootDir;
  switch (c.kind) {
    case 'before-change':
      return [`${spec.name} was not changed. Fix the cause above and re-run the same command; finished nodes are skipped.`];
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
    case 'applied-gate-failed':
      return [
        `The hop to ${target} WAS applied on ${spec.name}, but a gate failed. There is no in-place rollback of the live code change.`,
        `Boot-path rollback, before the next restart: \`emqx-rollout recover-boot --node ${spec.name}\` (removes ${root}/relup/current, optionally ${root}/relup/${target}/, restarts into the old tree). Live state changes made by the upgrade stay in effect.`,
        c.backup
          ? `Full restore: stop the node, restore data/ etc/ log/ from ${c.backup}, reinstall the old release, start.`
          : 'Full restore: restore data/ from your own backup (this run made none: --no-backup) and reinstall the old release.',
        'Or, if the failing check is understood and acceptable, fix it and re-run: the node at the target is re-gated, not upgraded again.',
      ];
    case 'applied-no-marker':
      return [
        `The code change to ${target} ran on ${spec.name}, then the ${c.stage} stage failed, so ${root}/relup/current was NOT written: the node runs new code now but would boot the OLD release on its next restart.`,
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
  }
}
