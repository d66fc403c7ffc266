// The process edge, captured once: streams, environment, TTY-ness, clock. Commands receive this
// instead of reaching for globals, so tests can drive them with other streams.
export interface CliIO {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly home: string;
  /** stdout is a terminal (the live view); stdin is a terminal (prompts). */
  readonly stdoutTTY: boolean;
  readonly stdinTTY: boolean;
  readonly now: () => Date;
  /** Hard abort (second Ctrl-C / SIGTERM). */
  readonly signal: AbortSignal;
  /** Soft stop requested (first Ctrl-C). */
  readonly stopRequested: () => boolean;
  /**
   * Tell the operator about a stop request where they are looking (the live view draws over raw
   * stderr writes). Returns an unsubscribe function; without a listener the notice goes to stderr.
   */
  readonly onInterrupt: (fn: (notice: string) => void) => () => void;
  /** `--ssh-config FILE` of the command line (program.ts sets it); the inventory loader reads it. */
  readonly sshConfigFile?: string;
}
