// Observe every node in parallel (bounded): read-only, used by plan, upgrade and status.
import PQueue from 'p-queue';
import { RolloutError, errorMessage } from '../../util/errors.js';
import type { RunContext } from '../core/context.js';
import type { NodeFacts } from '../core/facts.js';
import { observeNode, unreachableFacts } from './node.js';

/**
 * Nodes observed at once. Each node is its own SSH connection and its own machine, and observation
 * only reads, so the bound protects this controller (open channels, parsing), not the nodes: 32
 * observes a 30-node cluster in one wave, where 8 took four waves of a node's slowest probe each
 * (an `emqx ctl` call costs 0.5–1 s on a real node).
 */
export const OBSERVE_CONCURRENCY = 32;

export async function observeAll(
  ctx: RunContext,
  tarballName: string | null,
  tarballSha256?: string,
): Promise<NodeFacts[]> {
  // The CLI may still be connecting (it emits the run's first event without waiting for SSH).
  await ctx.connected;
  const queue = new PQueue({ concurrency: OBSERVE_CONCURRENCY });
  const facts = await Promise.all(
    ctx.inv.nodes.map((spec) =>
      queue.add(async (): Promise<NodeFacts> => {
        const host = ctx.hosts.get(spec.name);
        if (!host) {
          const u = ctx.unreachable.get(spec.name) ?? {
            message: 'not connected',
            details: [],
            code: 'node-unreachable',
          };
          return unreachableFacts(spec, u.message, u.details, u.code);
        }
        try {
          return await observeNode(host, spec, {
            tarballName,
            signal: ctx.signal,
            ...(tarballSha256 ? { tarballSha256 } : {}),
          });
        } catch (e) {
          // A connection that dies mid-observation makes that node unreachable (a finding), not the
          // whole command a failure. An interruption stays an interruption.
          if (ctx.signal.aborted || (e instanceof RolloutError && e.kind === 'interrupted')) throw e;
          const err = e instanceof RolloutError ? e : new RolloutError('remote', errorMessage(e), { cause: e });
          return unreachableFacts(
            spec,
            `${spec.name}: lost while observing: ${err.message}`,
            [...err.details],
            'node-unreachable',
          );
        }
      }),
    ),
  );
  for (const f of facts) {
    ctx.emit({
      type: 'node.observed',
      node: f.node,
      reachable: f.reachable,
      version: f.version,
      relupStatus: describeRelupStatus(f),
      connections: f.connections,
    });
  }
  return facts;
}

export function describeRelupStatus(f: NodeFacts): string | null {
  const s = f.relupStatus;
  if (!s) return null;
  return s.kind === 'hot-upgraded' ? `hot-upgraded to ${s.target}` : s.kind;
}
