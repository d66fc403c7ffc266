// Who decides at the `--pause-after` point (rollout/approval.ts), chosen once from the flags and
// the terminal: `--await-approval` → `emqx-rollout approve` from another shell (files in the state
// dir); a terminal → a key in the live view or a prompt; otherwise nobody → exit 5 as before.
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { fileBoard } from '../approval/board.js';
import type { Approval } from '../rollout/upgrade/approval.js';
import type { Renderer } from '../ui/renderer.js';
import { promptApproval } from './approvalPrompt.js';
import type { CliIO } from './io.js';

/** `--await-approval` without SECONDS: an hour, a maintenance slot's worth of holding the lock. */
export const DEFAULT_AWAIT_SECONDS = 3600;

function shellWord(s: string): string {
  return /^[A-Za-z0-9_./@:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface ApprovalFlags {
  readonly inventory: string;
  readonly stateDir?: string;
  readonly awaitApproval?: number;
}

export function approvalFor(io: CliIO, f: ApprovalFlags, renderer: Renderer, stateDir: string): Approval {
  const who = `${userInfo().username}@${hostname()}`;
  if (f.awaitApproval !== undefined) {
    // Absolute paths: the other shell may well be in another directory.
    const cmd = `emqx-rollout approve -i ${shellWord(resolve(io.cwd, f.inventory))}${f.stateDir ? ` --state-dir ${shellWord(resolve(io.cwd, f.stateDir))}` : ''}`;
    return {
      kind: 'command',
      seconds: f.awaitApproval,
      board: fileBoard(stateDir),
      owner: { user: userInfo().username, host: hostname(), pid: process.pid },
      hint: `to continue run \`${cmd}\` in another shell; to stop here, \`${cmd} --reject\``,
    };
  }
  if (!io.stdinTTY) return { kind: 'none' };
  return {
    kind: 'terminal',
    who,
    // A getter: the live view replaces the plain lines only after the plan's confirmation.
    get hint() {
      return renderer.ask
        ? 'press y to continue with the next node, n to stop here (paused, exit 5)'
        : 'answer y to continue with the next node, n to stop here (paused, exit 5)';
    },
    ask: (signal) => {
      const viaView = renderer.ask?.();
      if (viaView) {
        return new Promise((resolve) => {
          const onAbort = () => resolve('interrupt');
          signal.addEventListener('abort', onAbort, { once: true });
          void viaView.then((a) => {
            signal.removeEventListener('abort', onAbort);
            resolve(a);
          });
        });
      }
      return promptApproval(io, 'Continue with the next node?', signal);
    },
  };
}
