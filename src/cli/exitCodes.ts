import type { ErrorKind } from '../util/errors.js';

// The one table of exit codes (PRODUCT.md "Exit codes"): each code with the label that prefixes the
// one-line error on stderr and the error kinds that map to it. Only cli/main.ts exits.
export const EXIT_TABLE = {
  ok: { code: 0, label: 'done', kinds: [] },
  internal: { code: 1, label: 'internal error (a bug)', kinds: ['internal'] },
  // 'remote': a connection, auth or host-key problem is configuration.
  badInput: { code: 2, label: 'error', kinds: ['bad-input', 'remote'] },
  preflightBlocked: { code: 3, label: 'blocked', kinds: ['preflight-blocked'] },
  halted: { code: 4, label: 'HALTED', kinds: ['halted'] },
  paused: { code: 5, label: 'paused', kinds: ['paused'] },
  lockHeld: { code: 6, label: 'locked', kinds: ['lock-held'] },
  interrupted: { code: 130, label: 'interrupted', kinds: ['interrupted'] },
} as const satisfies Record<string, { code: number; label: string; kinds: readonly ErrorKind[] }>;

type Table = typeof EXIT_TABLE;
export type ExitName = keyof Table;
export type ExitCode = Table[ExitName]['code'];

export const EXIT = Object.fromEntries(Object.entries(EXIT_TABLE).map(([k, v]) => [k, v.code])) as {
  readonly [K in ExitName]: Table[K]['code'];
};

const BY_KIND = new Map<ErrorKind, { code: ExitCode; label: string }>(
  Object.values(EXIT_TABLE).flatMap((e) => e.kinds.map((k): [ErrorKind, { code: ExitCode; label: string }] => [k, e])),
);

export function exitCodeFor(kind: ErrorKind): ExitCode {
  return exitFor(kind).code;
}

export function exitFor(kind: ErrorKind): { readonly code: ExitCode; readonly label: string } {
  const e = BY_KIND.get(kind);
  if (!e) throw new Error(`internal: no exit code for error kind ${kind}`);
  return e;
}
