// Colours per node state, and the switch that turns them all off (NO_COLOR).
import type { NodeState } from '../state.js';

export const STATE_COLOR: Record<NodeState, string> = {
  pending: 'gray',
  observing: 'blue',
  staging: 'cyan',
  staged: 'cyan',
  waiting: 'gray',
  upgrading: 'magenta',
  gating: 'blue',
  soaking: 'yellow',
  done: 'green',
  skipped: 'gray',
  failed: 'red',
  untouched: 'gray',
};

/** Ink `color` prop value, or undefined when colour is off. */
export const paint = (enabled: boolean, color: string): string | undefined => (enabled ? color : undefined);

// Braille dots, 10 frames; the frame index comes from the clock so the view stays a pure function.
export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;
export const SPINNER_FRAME_MS = 80;

export function spinnerFrame(now: number | undefined): string {
  if (now === undefined) return SPINNER[0];
  return SPINNER[Math.floor(now / SPINNER_FRAME_MS) % SPINNER.length];
}

/** Layout widths that depend on the terminal: at 60 columns the bar shrinks and names are cut. */
export interface Layout {
  readonly columns: number;
  readonly nameWidth: number;
  readonly stateWidth: number;
  readonly barWidth: number;
}

export function layoutFor(columns: number, names: readonly string[]): Layout {
  const longest = names.reduce((m, n) => Math.max(m, [...n].length), 4);
  return {
    columns,
    nameWidth: Math.min(longest, columns < 80 ? 16 : 28),
    stateWidth: 9, // 'upgrading' / 'untouched', the longest state names
    barWidth: columns >= 100 ? 20 : columns >= 80 ? 16 : 10,
  };
}
