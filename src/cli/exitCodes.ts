import type { ErrorKind } from '../util/errors.js';

// The one table of exit codes (PRODUCT.md "Exit codes"). Only cli/main.ts exits.
export const EXIT = {
  ok: 0,
  internal: 1,
  badInput: 2,
  preflightBlocked: 3,
  halted: 4,
  paused: 5,
  lockHeld: 6,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(kind: ErrorKind): ExitCode {
  switch (kind) {
    case 'bad-input':
    case 'remote':
      return EXIT.badInput;
    case 'preflight-blocked':
      return EXIT.preflightBlocked;
    case 'halted':
      return EXIT.halted;
    case 'paused':
      return EXIT.paused;
    case 'lock-held':
      return EXIT.lockHeld;
    case 'interrupted':
      return EXIT.interrupted;
    case 'internal':
      return EXIT.internal;
  }
}
