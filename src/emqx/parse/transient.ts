// Answers that say "not yet" (or "no longer"), never "no" (facts A5): the ctl command table is not
// there (`Command table is initializing.`, early boot, late shutdown, inside init:restart()), or the
// command is not registered yet (`No commands available.`, or the global usage without it). Retried
// within a bound by the caller; never judged as a failure, never recorded as a fact about the node.
import { normalize } from './common.js';

export type Transient =
  | { readonly kind: 'initializing'; readonly raw: string }
  | { readonly kind: 'no-commands'; readonly raw: string }
  | { readonly kind: 'not-registered-yet'; readonly raw: string };

/** emqx_ctl.erl@416bc5c:341-342 — any command, exit 1. */
export const CMD_TABLE_INITIALIZING = 'Command table is initializing.';
/** emqx_ctl `help()` with nothing registered. */
export const NO_COMMANDS = 'No commands available.';

/**
 * `command` is the ctl command's first word (`relup`, `rebalance`): the usage form counts only when
 * that command is absent from it, which is what "not registered yet" looks like while apps start.
 */
export function detectTransient(stdout: string, exitCode: number | null, command?: string): Transient | null {
  if (exitCode !== 1) return null;
  const t = normalize(stdout).trim();
  if (t === CMD_TABLE_INITIALIZING) return { kind: 'initializing', raw: stdout };
  if (t === NO_COMMANDS) return { kind: 'no-commands', raw: stdout };
  if (command && /^Usage: emqx ctl$/m.test(t) && !new RegExp(`^${command}(\\s|$)`, 'm').test(t)) {
    return { kind: 'not-registered-yet', raw: stdout };
  }
  return null;
}
