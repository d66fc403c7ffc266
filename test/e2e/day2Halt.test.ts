// `restart` halting: node 2 never comes back (its restart command stops it and does not start it).
// The run halts with exit 4 and the recovery; node 3 is not touched. Node 1 is evacuated first.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { setFaults } from '../../src/sim/faults.js';
import {
  cli,
  connectClient,
  emqx,
  ensureBuiltCli,
  events,
  hotUpgrade,
  tuneInventory,
  type WatchedClient,
} from './day2Support.js';

let dir = '';
let c: SimCluster;
const clients: WatchedClient[] = [];
// {node} is shell-quoted by the template: node 2 (…12) is stopped and never started again.
const BROKEN =
  "{rootDir}/bin/emqx stop && case {node} in *.12) echo 'simulated: start never issued' ;; *) {rootDir}/bin/emqx start ;; esac";

beforeAll(async () => {
  ensureBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'day2-halt-'));
  c = await startSimCluster({ dir, nodes: 3, hostPrefix: '127.0.7.' });
  await tuneInventory(c, { soakSeconds: 0, timeoutSeconds: 5, restartCommand: BROKEN });
  for (const n of c.nodes) await hotUpgrade(c, n);
  // A real `rebalance start --evacuation` waits 60 s (--wait-health-check) before evicting; the
  // simulator honours it. Time runs 20× faster here so the 5 s deadline sees the drain.
  for (const n of c.nodes) await setFaults(n.rootDir, { evacuationTimeScale: 0.05 });
}, 120_000);

afterAll(async () => {
  for (const w of clients) w.client.end(true);
  await c?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('restart halts on a node that does not come back', () => {
  it('exit 4, recovery printed, node 1 evacuated + restarted, node 2 down, node 3 untouched', async () => {
    const [n1, n2, n3] = c.nodes;
    clients.push(await connectClient(n1, 'halt-1'));
    const r = await cli(['restart', '-i', c.inventoryPath, '--evacuate', '--yes', '--json'], 90_000);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('HALTED');
    const ev = events(r.stdout);
    expect(ev.filter((e) => e.type !== 'log').at(-1)?.type).toBe('rollout.halted');

    const evac1 = ev.find((e) => e.type === 'step.finished' && e.step === 'evacuate' && e.node === n1.name);
    expect(evac1).toMatchObject({ ok: true, message: 'drained: 1 → 0 connections' });
    expect(ev.find((e) => e.type === 'node.done' && e.node === n1.name)).toMatchObject({ outcome: 'restarted' });
    expect(
      ev.some((e) => e.type === 'log' && e.node === n1.name && String(e.message).startsWith('evacuation stopped')),
    ).toBe(true);
    expect(clients[0].closed).toBe(true);

    const halted = ev.find((e) => e.type === 'rollout.halted');
    expect(halted).toMatchObject({ node: n2.name, check: expect.stringMatching(/^gate-after:/) });
    expect((halted!.recovery as string[]).join('\n')).toContain(`${n2.rootDir}/bin/emqx start`);
    expect(ev.some((e) => e.type === 'node.done' && e.node === n2.name)).toBe(false);
    // node 3: no step at all, still pending on the base tree
    expect(ev.some((e) => (e.type === 'step.started' || e.type === 'gate.checked') && e.node === n3.name)).toBe(false);
    expect((await emqx(n3, 'ctl', 'relup', 'status')).stdout).toMatch(/^hot-upgraded to 5.10.5/);
    expect((await emqx(n1, 'ctl', 'relup', 'status')).stdout).toBe('idle\n');
    const down = await emqx(n2, 'ctl', 'status');
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('not responding to pings');
    for (const n of c.nodes) expect(existsSync(join(n.stagingDir, '.emqx-rollout.lock'))).toBe(false);
  }, 120_000);

  it('while node 2 is down, a re-run is blocked (exit 3): rollout.halted check preflight names it and the fix', async () => {
    const n2 = c.nodes[1];
    const r = await cli(['restart', '-i', c.inventoryPath, '--yes', '--json'], 60_000);
    expect(r.code, r.stderr).toBe(3);
    const ev = events(r.stdout);
    expect(ev.some((e) => e.type === 'step.started' || e.node === '*')).toBe(false);
    expect(ev.filter((e) => e.type === 'log' && /^preflight BLOCKED in /.test(String(e.message)))).toHaveLength(1);
    expect(ev.at(-1)).toMatchObject({
      type: 'rollout.halted',
      node: n2.name,
      check: 'preflight',
      evidence: [expect.stringMatching(/^\[node-down\] /)],
      recovery: [expect.stringContaining(`${n2.rootDir}/bin/emqx start`)],
    });
  }, 60_000);

  it('after the operator starts node 2 by hand, a fixed re-run restarts only node 3', async () => {
    const [n1, n2, n3] = c.nodes;
    expect((await emqx(n2, 'start')).code).toBe(0); // boots relup/5.10.5/: the marker is there
    await tuneInventory(c, { soakSeconds: 0, timeoutSeconds: 20 });
    const r = await cli(['restart', '-i', c.inventoryPath, '--yes', '--json'], 90_000);
    expect(r.code).toBe(0);
    const done = events(r.stdout)
      .filter((e) => e.type === 'node.done')
      .map((e) => e.node);
    expect(done).toEqual([n3.name]);
    const rows = (
      events(r.stdout).find((e) => e.type === 'rollout.done')!.rows as { node: string; outcome: string }[]
    ).map((x) => [x.node, x.outcome]);
    expect(rows).toEqual([
      [n1.name, 'skipped'],
      [n2.name, 'skipped'],
      [n3.name, 'restarted'],
    ]);
  }, 120_000);
});
