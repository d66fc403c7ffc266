// The events every engine emits the same way: gate verdicts and a node's observed state.
import { describeRelupStatus } from '../observe/all.js';
import type { GateResult } from '../upgrade/gates.js';
import type { RunContext } from './context.js';
import type { NodeFacts } from './facts.js';

export function emitGates(
  ctx: RunContext,
  node: string,
  phase: 'before' | 'after' | 'soak',
  results: readonly GateResult[],
): void {
  for (const g of results)
    ctx.emit({
      type: 'gate.checked',
      node,
      gate: g.gate,
      phase,
      ok: g.ok,
      message: g.message,
      ...(g.evidence ? { evidence: g.evidence } : {}),
      ...(g.probe ? { probe: g.probe } : {}),
    });
}

export function emitObserved(ctx: RunContext, f: NodeFacts): void {
  ctx.emit({
    type: 'node.observed',
    node: f.node,
    reachable: f.reachable,
    version: f.version,
    relupStatus: describeRelupStatus(f),
    connections: f.connections,
  });
}
