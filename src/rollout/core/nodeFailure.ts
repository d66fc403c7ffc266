import { RolloutError } from '../../util/errors.js';
import type { FailureCase } from './failure.js';

/** A node failed a step or a gate: halt the rollout (exit 4) with the evidence and the recovery. */
export class NodeFailure extends RolloutError {
  readonly node: string;
  readonly check: string;
  readonly evidence: readonly string[];
  readonly failure: FailureCase;

  constructor(node: string, check: string, message: string, evidence: readonly string[], failure: FailureCase) {
    super('halted', `${node}: ${message}`, { details: evidence });
    this.name = 'NodeFailure';
    this.node = node;
    this.check = check;
    this.evidence = evidence;
    this.failure = failure;
  }
}
