// The one place that picks how a run is shown (STYLE.md "Typed events, chosen renderers").
import type { RolloutEvent } from '../rollout/core/events.js';
import { createJsonRenderer } from './ndjson.js';
import { mountInkLazily } from './lazyInk.js';
import { createPlainRenderer } from './plain.js';

export interface Renderer {
  onEvent(e: RolloutEvent): void;
  /** Flushes what is pending and releases the terminal; resolves when the output is written. */
  finish(): Promise<void>;
  /**
   * Ask the operator yes/no with a key in the view (the live view only; others lack it and the
   * CLI prompts on the terminal instead). 'interrupt' for Ctrl-C at the question.
   */
  ask?(): Promise<'approve' | 'reject' | 'interrupt'>;
}

export type Env = Record<string, string | undefined>;

export interface ChooseOptions {
  readonly json: boolean;
  readonly plain: boolean;
  readonly isTTY: boolean;
  readonly env: Env;
  readonly stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  readonly now: () => number;
}

/** Same rule as ink's `is-in-ci`: CI or CONTINUOUS_INTEGRATION set and not `0`/`false`. */
export function isInCi(env: Env): boolean {
  return ['CI', 'CONTINUOUS_INTEGRATION'].some((k) => env[k] !== undefined && !['0', 'false'].includes(env[k]));
}

/** no-color.org: NO_COLOR present and not empty disables colour. */
export function noColor(env: Env): boolean {
  return env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
}

export type RendererKind = 'json' | 'ink' | 'plain';

/** The decision alone (pure), so it can be tested and printed by `--help` diagnostics. */
export function rendererKind(o: Pick<ChooseOptions, 'json' | 'plain' | 'isTTY' | 'env'>): RendererKind {
  if (o.json) return 'json';
  if (o.isTTY && !isInCi(o.env) && !o.plain) return 'ink';
  return 'plain';
}

/**
 * `--json` → NDJSON on stdout and nothing human there; an interactive terminal that is not CI
 * and not `--plain` → the Ink view (its modules loaded only then: ui/lazyInk.ts); everything else →
 * plain timestamped lines.
 */
export function chooseRenderer(o: ChooseOptions): Renderer {
  const kind = rendererKind(o);
  if (kind === 'json') return createJsonRenderer(o.stdout);
  if (kind === 'ink') {
    return mountInkLazily({
      stdout: o.stdout as NodeJS.WriteStream,
      stderr: o.stderr as NodeJS.WriteStream,
      stdin: o.stdin as NodeJS.ReadStream,
      now: o.now,
      color: !noColor(o.env),
    });
  }
  return createPlainRenderer(o.stdout, { color: o.isTTY && !noColor(o.env) });
}
