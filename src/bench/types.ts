// A benchmark is a named function returning rows; run.ts prints them as one table.

export interface BenchRow {
  /** Which benchmark produced it, e.g. "staging". */
  readonly bench: string;
  /** What was measured, e.g. "stage 256 MiB → sshd (median of 3)". */
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** Human form of the target, e.g. "≥ 0.8". Absent → informational. */
  readonly target?: string;
  readonly pass?: boolean;
  readonly note?: string;
}

export interface BenchContext {
  /** Progress lines for the operator (stderr); the table goes to stdout. */
  log(line: string): void;
  /** Raw measurements for the JSON output (keyed by bench id). */
  detail?(key: string, value: unknown): void;
}

export interface Bench {
  readonly id: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
