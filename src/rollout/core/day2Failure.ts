// What to do when a day-2 step halts (restart, recover-boot): the node's state in words, and the
// next command. Same spirit as recovery.ts for the upgrade: what an operator at 3 a.m. needs.
import type { NodeSpec } from '../../inventory/types.js';
import { NodeFailure } from './nodeFailure.js';

export type Day2Failure =
  | { readonly kind: 'before-change' } // gate-before: nothing done to the node
  | { readonly kind: 'evacuation' } // evacuation started but did not drain / could not be read
  | { readonly kind: 'restart-command' } // the restart command failed or timed out
  | { readonly kind: 'not-back' } // restarted, but the gates did not pass before the deadline
  | { readonly kind: 'evacuation-stop' } // restarted fine, but `rebalance stop` failed
  | { readonly kind: 'recover-remove' } // recover-boot: removing the marker/tree failed
  | { readonly kind: 'recover-restart' } // recover-boot: marker removed, restart/gates failed
  | { readonly kind: 'cleanup-remove' } // cleanup: a staged file could not be removed
  | { readonly kind: 'logs-clear' }; // logs --clear: relup logs-clear did not confirm

export function day2Recovery(c: Day2Failure, spec: NodeSpec, target: string | null, mode: 'restart' | 'recover-boot'): string[] {
  const root = spec.rootDir;
  const bin = `${root}/bin/emqx`;
  const rerun = mode === 'restart' ? 'emqx-rollout restart' : `emqx-rollout recover-boot --node ${spec.name}`;
  switch (c.kind) {
    case 'before-change':
      return [`${spec.name} was not changed. Fix the cause above and re-run \`${rerun}\`; nodes already done are skipped.`];
    case 'evacuation':
      return [
        `${spec.name} is evacuating: its clients were evicted and it refuses new connections. It was NOT restarted.`,
        `Re-admit clients with \`${bin} ctl rebalance stop\`, or re-run \`${rerun} --evacuate\` with a larger gates.timeoutSeconds (eviction runs at a fixed rate).`,
      ];
    case 'restart-command':
      return [
        `The restart command failed on ${spec.name}; the node may be stopped.`,
        `Check \`${bin} ctl status\`; if it is down, start it with \`${bin} start\` and read ${root}/log/ for why it stopped.`,
        `When it runs again, re-run \`${rerun}\`.`,
      ];
    case 'not-back':
      return mode === 'restart'
        ? [
            `${spec.name} was restarted but did not come back healthy${target ? ` on ${target} from relup/${target}/` : ''} before the deadline.`,
            `Check \`${bin} ctl status\` and ${root}/log/; if it is down, \`${bin} start\`.`,
            target
              ? `If it cannot boot from relup/${target}/: \`rm ${root}/relup/current\`, then \`${bin} start\` boots the old tree (data written meanwhile stays; full restore from the pre-upgrade backup otherwise).`
              : 'If it cannot boot, restore from the pre-upgrade backup.',
            `The remaining nodes were not touched; re-run \`${rerun}\` once this node is healthy.`,
          ]
        : [
            `relup/current was removed on ${spec.name} and it was restarted, but it did not come back healthy on the old release before the deadline.`,
            `Check \`${bin} ctl status\` and ${root}/log/; if it is down, \`${bin} start\` (it boots the old tree now).`,
            'If the old release cannot read the data, restore data/ etc/ from the pre-upgrade backup.',
          ];
    case 'evacuation-stop':
      return [
        `${spec.name} restarted fine but still refuses new clients: \`rebalance stop\` failed.`,
        `Run \`${bin} ctl rebalance stop\` by hand, check \`${bin} ctl rebalance node-status\` says disabled, then re-run \`${rerun}\`.`,
      ];
    case 'recover-remove':
      return [
        `Removing the boot marker on ${spec.name} failed; the node was not restarted and still runs the hot-upgraded code.`,
        `Check permissions on ${root}/relup/ and re-run \`${rerun}\`.`,
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

/** A day-2 node failure: halts the run (exit 4) like an upgrade NodeFailure, with its own recovery. */
export class Day2NodeFailure extends NodeFailure {
  readonly day2: Day2Failure;

  constructor(node: string, check: string, message: string, evidence: readonly string[], day2: Day2Failure) {
    super(node, check, message, evidence, day2.kind === 'before-change' ? { kind: 'before-change' } : { kind: 'unknown-state' });
    this.name = 'Day2NodeFailure';
    this.day2 = day2;
  }
}
