// For an interactive `upgrade` without --yes: plain lines while we observe and plan, then the
// confirmation prompt, then the live Ink view. Ink owns the cursor, so it cannot share the screen
// with a prompt; it is mounted only after the answer, primed with the header and the plan.
import type { RolloutEvent } from '../rollout/core/events.js';
import type { Renderer } from '../ui/renderer.js';

export class SwitchRenderer implements Renderer {
  #current: Renderer;
  readonly #primer: RolloutEvent[] = [];

  constructor(first: Renderer) {
    this.#current = first;
  }

  onEvent(e: RolloutEvent): void {
    if (e.type === 'rollout.started' || e.type === 'plan.ready' || e.type === 'node.observed') this.#primer.push(e);
    this.#current.onEvent(e);
  }

  async switchTo(next: Renderer): Promise<void> {
    await this.#current.finish();
    this.#current = next;
    for (const e of this.#primer) next.onEvent(e);
  }

  /** The current renderer's key question, if it has one (the live view after the switch). */
  get ask(): (() => Promise<'approve' | 'reject' | 'interrupt'>) | undefined {
    const r = this.#current;
    return r.ask ? () => r.ask!() : undefined;
  }

  finish(): Promise<void> {
    return this.#current.finish();
  }
}
