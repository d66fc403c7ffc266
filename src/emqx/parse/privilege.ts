// Answers that come from the privilege layer rather than from EMQX (facts A3 `check_user`; sudo's
// own refusals). Pure. Any command can get them, so observe checks them before judging anything else.
import { normalize } from './common.js';

export type PrivilegeProblem =
  /** `sudo -n` wants a password (or, older sudo, a terminal to read one). */
  | { readonly kind: 'password-required'; readonly line: string }
  /** `sudo -S` got a wrong password. */
  | { readonly kind: 'password-wrong'; readonly line: string }
  /** The login user may not run that command as becomeUser. */
  | { readonly kind: 'not-allowed'; readonly line: string }
  /** becomeUser does not exist on the node. */
  | { readonly kind: 'unknown-user'; readonly line: string }
  /** sudo is not installed. */
  | { readonly kind: 'sudo-missing'; readonly line: string }
  /** bin/emqx `check_user`: a package install (RUNNER_USER=emqx) run as neither emqx nor root. */
  | { readonly kind: 'check-user-refused'; readonly line: string };

/** bin/emqx@416bc5c:259-283, printed on stdout with exit 1. */
export const CHECK_USER_REFUSAL = 'You need to be root or use sudo to run this command';

const SUDO: ReadonlyArray<readonly [PrivilegeProblem['kind'], RegExp]> = [
  ['password-required', /^sudo: (a password is required|a terminal is required to read the password.*)$/m],
  ['password-wrong', /^(sudo: \d+ incorrect password attempts?|Sorry, try again\.|sudo: no password was provided)$/m],
  [
    'not-allowed',
    /^(Sorry, user \S+ is not allowed to execute .*|\S+ is not in the sudoers file.*|sudo: \S+ may not run sudo.*|Sorry, user \S+ may not run sudo.*)$/m,
  ],
  ['unknown-user', /^sudo: unknown user:? \S+$/m],
  ['sudo-missing', /^(sh: \d+: sudo: not found|sh: sudo: (command )?not found|.*: sudo: command not found)$/m],
];

/**
 * The privilege problem a command ran into, if any. Only a non-zero exit counts: a command whose
 * normal output quotes such a line is not a refusal. sudo writes to stderr; check_user to stdout.
 */
export function detectPrivilegeProblem(
  stdout: string,
  stderr: string,
  exitCode: number | null,
): PrivilegeProblem | null {
  if (exitCode === 0) return null;
  const err = normalize(stderr);
  for (const [kind, re] of SUDO) {
    const m = re.exec(err);
    if (m) return { kind, line: m[0] };
  }
  const out = normalize(stdout);
  if (exitCode === 1 && new RegExp(`^${CHECK_USER_REFUSAL}\\s*$`, 'm').test(out)) {
    return { kind: 'check-user-refused', line: CHECK_USER_REFUSAL };
  }
  return null;
}
