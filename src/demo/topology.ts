// Who connects where in the demo, as data (pure). Every node gets `clientsPerNode` publishers; the
// first client of the NEXT node (ring order) also subscribes to this node's topic, so every message
// crosses from one node to another. The simulator has no cluster routing between its brokers
// (each node is its own aedes), so a "link" per node — a subscriber on the source node and a
// publisher on the next one — stands in for EMQX's cross-node forwarding. Links are sessions on the
// upgraded nodes too: if one drops, that counts as a disconnect.

export interface DemoNode {
  readonly name: string;
  readonly host: string;
  readonly mqttPort: number;
}

export interface ClientSpec {
  readonly clientId: string;
  /** Index into the node list. */
  readonly node: number;
  readonly publishTopic: string;
  /** The topic filter this client subscribes to (the previous node's traffic), if any. */
  readonly subscribe: string | null;
}

export interface LinkSpec {
  readonly from: number;
  readonly to: number;
  readonly filter: string;
  readonly sourceId: string;
  readonly sinkId: string;
}

export interface Topology {
  readonly clients: readonly ClientSpec[];
  readonly links: readonly LinkSpec[];
}

export const TOPIC_ROOT = 'emqx-rollout/demo';

/** The topic filter that carries node i's publishers (1-based in names, like the sim's hosts). */
export const nodeFilter = (i: number): string => `${TOPIC_ROOT}/${i + 1}/#`;

export function demoTopology(nodeCount: number, clientsPerNode: number, tag: string): Topology {
  const clients: ClientSpec[] = [];
  const links: LinkSpec[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const prev = (i - 1 + nodeCount) % nodeCount;
    for (let j = 0; j < clientsPerNode; j++) {
      const clientId = `${tag}-n${i + 1}-c${j + 1}`;
      clients.push({
        clientId,
        node: i,
        publishTopic: `${TOPIC_ROOT}/${i + 1}/${clientId}`,
        subscribe: j === 0 ? nodeFilter(prev) : null,
      });
    }
    if (nodeCount > 1) {
      const to = (i + 1) % nodeCount;
      links.push({
        from: i,
        to,
        filter: nodeFilter(i),
        sourceId: `${tag}-link${i + 1}-src`,
        sinkId: `${tag}-link${i + 1}-to${to + 1}`,
      });
    }
  }
  return { clients, links };
}
