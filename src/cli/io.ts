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
}
