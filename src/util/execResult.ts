// The evidence of one finished command, as every layer passes it around: the remote layer produces
// it, the pure decisions judge it (they import nothing from remote/), the journal keeps it.

/** The full evidence of one remote command. Non-zero exit is data, not an exception. */
export interface ExecResult {
  readonly node: string;
  readonly command: string;
  /** null when the process was killed by a signal or the channel died. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
}
