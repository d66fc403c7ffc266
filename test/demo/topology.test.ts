import { describe, expect, it } from 'vitest';
import { demoTopology, nodeFilter, type Topology } from '../../src/demo/topology.js';

/** Follows one message from its publisher to every client that receives it (MQTT '#' filters only). */
function receivers(t: Topology, fromNode: number, topic: string): string[] {
  const matches = (filter: string) => topic.startsWith(filter.slice(0, -1));
  const out: string[] = [];
  const visit = (node: number, hops: number) => {
    if (hops > t.links.length + 1) throw new Error('forwarding loop');
    for (const c of t.clients) if (c.node === node && c.subscribe && matches(c.subscribe)) out.push(c.clientId);
    for (const l of t.links) if (l.from === node && matches(l.filter)) visit(l.to, hops + 1);
  };
  visit(fromNode, 0);
  return out;
}

describe('demoTopology', () => {
  it('puts clientsPerNode publishers on every node, unique ids, one subscriber per node', () => {
    const t = demoTopology(3, 10, 'demo-x');
    expect(t.clients).toHaveLength(30);
    expect(new Set(t.clients.map((c) => c.clientId)).size).toBe(30);
    expect(t.clients.filter((c) => c.subscribe).map((c) => [c.node, c.subscribe])).toEqual([
      [0, nodeFilter(2)],
      [1, nodeFilter(0)],
      [2, nodeFilter(1)],
    ]);
    expect(t.links.map((l) => [l.from, l.to])).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
    ]);
  });

  it('delivers every message exactly once, to a subscriber on ANOTHER node', () => {
    for (const n of [2, 3, 5]) {
      const t = demoTopology(n, 2, 't');
      for (const c of t.clients) {
        const got = receivers(t, c.node, c.publishTopic);
        expect(got, `${c.clientId} on node ${c.node}`).toHaveLength(1);
        const sub = t.clients.find((x) => x.clientId === got[0])!;
        expect(sub.node).not.toBe(c.node);
      }
    }
  });

  it('with one node the subscriber sits on that node and there is no link', () => {
    const t = demoTopology(1, 3, 't');
    expect(t.links).toEqual([]);
    for (const c of t.clients) expect(receivers(t, 0, c.publishTopic)).toEqual(['t-n1-c1']);
  });
});
