// The traffic generator against a real 2-node simulated cluster: messages cross from one node to
// the other and all arrive; stopping a node shows up as disconnects and lost messages (so the
// demo's "0 disconnects, 0 lost" is a measurement, not a constant).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraffic, type Traffic } from '../../src/demo/traffic.js';
import { startSimCluster, stopNodeDaemon, type SimCluster } from '../../src/sim/cluster.js';
import { ensureBuilt } from '../sim/helpers.js';

let dir: string;
let c: SimCluster;
const open: Traffic[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function traffic(tag: string): Promise<Traffic> {
  const t = await startTraffic({
    nodes: c.nodes.map((n) => ({ name: n.name, host: n.host, mqttPort: n.mqttPort })),
    clientsPerNode: 3,
    ratePerSec: 10,
    tag,
    now: Date.now,
  });
  open.push(t);
  return t;
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'demo-traffic-'));
  c = await startSimCluster({ dir, nodes: 2 });
});

afterAll(async () => {
  for (const t of open) await t.close();
  await c?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('startTraffic', () => {
  it('publishes QoS 1 across nodes and every acknowledged message arrives', async () => {
    const t = await traffic('ok');
    await sleep(1500);
    const live = t.snapshot();
    expect(live).toMatchObject({ clients: 6, connected: 6, disconnects: 0, lost: 0 });
    expect(live.published).toBeGreaterThan(30); // 6 clients × 10 msg/s × 1.5 s ≈ 90
    const final = await t.drain(3000);
    expect(final.lost).toBe(0);
    expect(final.received).toBe(final.published);
    expect(final.published).toBeGreaterThanOrEqual(live.published);
    await t.close();
  });

  it('counts the clients of a stopped node as disconnects and its undeliverable messages as lost', async () => {
    const t = await traffic('down');
    await sleep(500);
    await stopNodeDaemon(c.nodes[1].rootDir);
    await sleep(1000);
    const live = t.snapshot();
    // 3 user clients and the link's two ends on node 2
    expect(live.disconnects).toBe(5);
    expect(live.connected).toBe(3);
    const final = await t.drain(1000);
    expect(final.lost).toBeGreaterThan(0);
    expect(final.received).toBeLessThan(final.published);
    await t.close();
  });
});
