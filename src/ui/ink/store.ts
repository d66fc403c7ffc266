// A tiny external store for useSyncExternalStore: the reducer's state plus the live clock.
import type { RolloutEvent } from '../../rollout/core/events.js';
import { reduce } from '../reducer.js';
import { initialState, type ViewState } from '../state.js';

export interface Snapshot {
  readonly state: ViewState;
  readonly now: number;
  readonly finished: boolean;
  /** A question is open: the view listens for its keys (approval at --pause-after). */
  readonly asking: boolean;
}

export type KeyAnswer = 'approve' | 'reject' | 'interrupt';

/**
 * 33 ms (30 fps, Ink's own frame cap): SFTP progress arrives per 32 KiB chunk, thousands a second;
 * re-rendering React for each is wasted work. Every other event is shown at once.
 */
export const PROGRESS_COALESCE_MS = 33;

export class ViewStore {
  #snap: Snapshot;
  readonly #listeners = new Set<() => void>();
  readonly #clock: () => number;
  #pending: NodeJS.Timeout | null = null;
  #answer: ((a: KeyAnswer) => void) | null = null;

  constructor(clock: () => number) {
    this.#clock = clock;
    this.#snap = { state: initialState(), now: clock(), finished: false, asking: false };
  }

  getSnapshot = (): Snapshot => this.#snap;

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => {
      this.#listeners.delete(fn);
    };
  };

  dispatch(e: RolloutEvent): void {
    this.#snap = { ...this.#snap, state: reduce(this.#snap.state, e), now: this.#clock() };
    if (e.type === 'stage.progress' && !e.done) {
      this.#pending ??= setTimeout(() => this.#notify(), PROGRESS_COALESCE_MS);
      return;
    }
    this.#notify();
  }

  /** Advances the clock (spinner, elapsed); only while something can move. */
  tick(): void {
    if (this.#snap.finished) return;
    const phase = this.#snap.state.phase;
    if (phase !== 'running' && phase !== 'idle') return;
    this.#snap = { ...this.#snap, now: this.#clock() };
    this.#notify();
  }

  /** Open the question; the view resolves it with a key (y / n / Ctrl-C). One at a time. */
  ask(): Promise<KeyAnswer> {
    this.#answer?.('interrupt');
    return new Promise((resolve) => {
      this.#answer = (a) => {
        this.#answer = null;
        this.#snap = { ...this.#snap, asking: false };
        this.#notify();
        resolve(a);
      };
      this.#snap = { ...this.#snap, asking: true };
      this.#notify();
    });
  }

  answer(a: KeyAnswer): void {
    this.#answer?.(a);
  }

  finish(): void {
    this.#answer?.('interrupt');
    this.#snap = { ...this.#snap, now: this.#clock(), finished: true };
    this.#notify();
  }

  #notify(): void {
    if (this.#pending) {
      clearTimeout(this.#pending);
      this.#pending = null;
    }
    for (const fn of this.#listeners) fn();
  }
}
