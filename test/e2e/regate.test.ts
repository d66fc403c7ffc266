// Fail-closed across runs: a node whose hop landed but whose gates failed is never skipped by a
// re-run because it "already runs the target". It is re-gated first, and the run halts again while
// the gate still fails; node 3 stays untouched until node 2 is proven.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, upgradeArgs } from './support/cli.js';
import { runningVersion, startCluster, type E2eCluster } from './support/cluster.js';

describe('re-gating a node whose gates failed', () => {
  let c: E2eCluster;
  let flag: string;
  beforeAll(async () => {
    c = await startCluster('regate');
    flag = `${c.dir}/gate-fails-on-node2`;
    // Fails on node 2 while the flag file exists (the gate command runs on the node; same host here).
    await c.setGates({
      soakSeconds: 0,
      timeoutSeconds: 60,
      commands: [`if [ {node} = ${c.nodes[1].name} ] && [ -e '${flag}' ]; then echo "health check failed"; exit 7; fi`],
    });
    await (await import('node:fs/promises')).writeFile(flag, '');
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('first run: node 2 upgraded, its gate fails → exit 4, node 3 untouched', async () => {
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(r.code, r.stderr).toBe(4);
    expect(await runningVersion(c.nodes[1])).toBe('5.10.5');
    expect(await runningVersion(c.nodes[2])).toBe('5.10.4');
  });

  it('re-run while the gate still fails: node 2 is re-gated (not skipped), halts again, node 3 still untouched', async () => {
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(r.code, r.stderr).toBe(4);
    const ev = r.events();
    const plan = ev.find((e) => e.type === 'plan.ready') as unknown as {
      plan: { nodes: { name: string; action: string }[] };
    };
    expect(plan.plan.nodes.map((n) => n.action)).toEqual(['skip', 'regate', 'upgrade']);
    const halted = ev.find((e) => e.type === 'rollout.halted');
    expect(halted?.node).toBe(c.nodes[1].name);
    expect(halted?.check).toBe('gate-after:command:0');
    expect(ev.some((e) => e.type === 'step.started' && e.step === 'upgrade')).toBe(false);
    expect(await runningVersion(c.nodes[2])).toBe('5.10.4');
  });

  it('once the gate passes, a re-run proves node 2 and then upgrades node 3', async () => {
    await (await import('node:fs/promises')).rm(flag);
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(r.code, r.stderr).toBe(0);
    const done = r
      .events()
      .filter((e) => e.type === 'node.done')
      .map((e) => e.node);
    expect(done).toEqual([c.nodes[1].name, c.nodes[2].name]);
    expect(
      r
        .events()
        .filter((e) => e.type === 'step.started' && e.step === 'upgrade')
        .map((e) => e.node),
    ).toEqual([c.nodes[2].name]);
    // and now everything is proven: a further run has nothing to do
    const again = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(again.code).toBe(0);
    expect(again.events().filter((e) => e.type === 'node.done')).toHaveLength(0);
  });
});
