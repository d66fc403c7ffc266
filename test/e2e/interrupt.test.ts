// SIGTERM (or a second Ctrl-C) mid-rollout is an interruption, never a node failure: the commands it
// cut short return empty output, which must not be judged as "node not running" or "marker missing".
// Exit 130 with a final rollout.paused; the next run re-gates the node whose hop landed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, upgradeArgs } from './support/cli.js';
import { startCluster, type E2eCluster } from './support/cluster.js';
import { startCli, successRows } from './support/crashCli.js';

describe("SIGTERM during a node's upgrade", () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startCluster('sigterm');
    await c.setFaults(2, { slowUpgradeSeconds: 3 });
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('exits 130 with rollout.paused (no halt, no invented failure); a re-run re-gates node 2 and finishes', async () => {
    const run = startCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    await run.waitFor(
      (e) => e.type === 'step.started' && e.step === 'upgrade' && e.node === c.nodes[1].name,
      60_000,
      'node 2 upgrade started',
    );
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    const types = r.events.map((e) => e.type).filter((t) => t !== 'log'); // the report path is logged after the end
    expect(types).not.toContain('rollout.halted');
    expect(types.at(-1)).toBe('rollout.paused');
    expect(r.stderr).not.toMatch(/HALTED|not running after the upgrade|relup\/current is missing/);

    await c.clearFaults(2);
    const again = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(again.code, again.stderr).toBe(0);
    const plan = again.events().find((e) => e.type === 'plan.ready') as unknown as {
      plan: { nodes: { action: string }[] };
    };
    expect(plan.plan.nodes.map((n) => n.action)).toEqual(['skip', 'regate', 'upgrade']);
    for (const n of c.nodes) expect(successRows(n.rootDir)).toBe(1); // nobody upgraded twice
  });
});
