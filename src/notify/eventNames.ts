// Every event type a `notify:` receiver may subscribe to. The inventory validates `events:` against
// this list; the type assertions below fail the build when an event is added to rollout/events.ts
// without being added here (or the other way round).
import type { EventType } from '../rollout/core/events.js';

export const EVENT_TYPES = [
  'rollout.started',
  'preflight.finding',
  'plan.ready',
  'node.observed',
  'stage.progress',
  'step.started',
  'step.finished',
  'gate.checked',
  'node.done',
  'rollout.awaiting-approval',
  'rollout.approved',
  'rollout.rejected',
  'rollout.paused',
  'rollout.halted',
  'rollout.done',
  'log',
  'traffic',
] as const satisfies readonly EventType[];

type Missing = Exclude<EventType, (typeof EVENT_TYPES)[number]>;
// If this line fails to compile, EVENT_TYPES lacks the event types named in the error.
const exhaustive: [Missing] extends [never] ? true : Missing = true;
void exhaustive;

/** The events that end a run's stream: notifications of these are worth a short wait at exit. */
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['rollout.done', 'rollout.halted', 'rollout.paused']);
