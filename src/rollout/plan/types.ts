// What plan schema 2 adds to the plan (rollout/types.ts): the hops the cluster can take, each
// node's estimated duration and, with a window, its expected start. All plain data.
import type { Estimate, NodeEstimate } from './estimate.js';
import type { HopSurvey, NodeHops } from './hops.js';
import type { RejectedRelease } from './releases.js';
import type { NodeSlot, Schedule } from './schedule.js';

export type { Estimate, HopSurvey, NodeEstimate, NodeHops, NodeSlot, Schedule };

/** `--releases DIR`: which tarball was picked for the hop, and what was skipped and why. */
export interface ReleasesReport {
  readonly dir: string;
  readonly target: string;
  /** File name of the chosen tarball (its path is plan.tarball.path). */
  readonly chosen: string | null;
  readonly rejected: readonly RejectedRelease[];
}

/** Fields schema 2 adds to the plan. */
export interface PlanExtras {
  readonly hops?: Omit<HopSurvey, 'nodes'>;
  readonly estimate?: Omit<Estimate, 'nodes'>;
  readonly schedule?: Omit<Schedule, 'nodes'>;
  readonly releases?: ReleasesReport;
}

/** Fields schema 2 adds to each plan node. */
export interface PlanNodeExtras {
  readonly hops?: NodeHops;
  readonly estimate?: NodeEstimate;
  readonly slot?: NodeSlot;
}
