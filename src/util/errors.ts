// Typed errors. Each carries a `kind` that cli/exitCodes.ts maps to an exit code, a one-line
// message, and optional detail lines (evidence) and a hint (what to do). Nothing below cli/
// calls process.exit; it throws one of these.

export type ErrorKind =
  | 'bad-input' // flags, inventory, tarball → exit 2
  | 'preflight-blocked' // → 3
  | 'halted' // a node failed its upgrade or a gate → 4
  | 'paused' // window closed / awaiting approval → 5
  | 'lock-held' // another rollout holds the cluster lock → 6
  | 'interrupted' // Ctrl-C → 130
  | 'remote' // a remote operation failed unexpectedly (connection, auth, host key) → 2 when it is
  //            configuration (host key, auth), else mapped by the command that caught it
  | 'internal'; // a bug → 1

export interface ErrorInit {
  readonly details?: readonly string[];
  readonly hint?: string;
  readonly cause?: unknown;
}

export class RolloutError extends Error {
  readonly kind: ErrorKind;
  readonly details: readonly string[];
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, init: ErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RolloutError';
    this.kind = kind;
    this.details = init.details ?? [];
    this.hint = init.hint;
  }

  /** Multi-line human text: message, evidence, hint. No stack trace. */
  long(): string {
    const lines = [this.message, ...this.details.map((d) => `  ${d}`)];
    if (this.hint) lines.push(`  → ${this.hint}`);
    return lines.join('\n');
  }
}

export class BadInputError extends RolloutError {
  constructor(message: string, init?: ErrorInit) {
    super('bad-input', message, init);
    this.name = 'BadInputError';
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
