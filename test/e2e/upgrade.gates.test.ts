// Hops that complete but fail a gate after (fault on node 2 of 3): exit 4, the recovery says the
// hop WAS applied and names the backup. Each case gets a fresh cluster.
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, upgradeArgs } from './support/cli.js';
import { startCluster, type E2eCluster } from './support/cluster.js';
import { expectHaltedAtNode2 } from './support/halt.js';
import { attachClients, type Clients } from './support/mqtt.js';

let c: E2eCluster | undefined;
let clients: Clients | undefined;
afterEach(async () => {
  await clients?.end();
  await c?.destroy();
  clients = undefined;
  c = undefined;
});

describe('upgrade: gates after the hop fail on node 2 (exit 4)', () => {
  it('not running after the upgrade → gate-after:version', async () => {
    c = await startCluster('notrunning');
    await c.setFaults(2, { notRunningAfterUpgrade: true });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    const h = await expectHaltedAtNode2(c, r, {
      check: 'gate-after:version',
      evidence: /stopping|not running/,
      recovery: /WAS applied/,
    });
    expect(h.recovery.join('\n')).toContain(c.nodes[1].backupDir); // the verified backup to restore from
  });

  it('connections dropped by the upgrade (12 real MQTT clients) → gate-after:connections', async () => {
    c = await startCluster('drop');
    clients = await attachClients(c.nodes[1].host, c.nodes[1].mqttPort, 12, 'drop');
    await c.setFaults(2, { dropConnectionsOnUpgrade: true });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    const h = await expectHaltedAtNode2(c, r, {
      check: 'gate-after:connections',
      evidence: /every connection lost: 1[2-9] → 0/,
      recovery: /WAS applied/,
      node2At: 'to',
    });
    expect(h.message).toMatch(/every connection lost/);
    expect(clients.connected()).toBe(0);
  });

  it('3 MQTT clients, all dropped (below the ratio floor of 10) → still gate-after:connections', async () => {
    c = await startCluster('drop3');
    clients = await attachClients(c.nodes[1].host, c.nodes[1].mqttPort, 3, 'drop3');
    await c.setFaults(2, { dropConnectionsOnUpgrade: true });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    await expectHaltedAtNode2(c, r, {
      check: 'gate-after:connections',
      evidence: /every connection lost: 3 → 0/,
      recovery: /WAS applied/,
      node2At: 'to',
    });
  });

  it('an inventory gate command failing on node 2 → gate-after:command:0 with its output', async () => {
    c = await startCluster('gatecmd');
    // {node} is substituted shell-quoted; the check passes on every node but node 2
    await c.setGates({
      soakSeconds: 0,
      timeoutSeconds: 60,
      commands: [`if [ {node} = ${c.nodes[1].name} ]; then echo "health check failed on {node}"; exit 7; fi`],
    });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    const h = await expectHaltedAtNode2(c, r, {
      check: 'gate-after:command:0',
      evidence: /health check failed on '?emqx@127\.0\.0\.12/,
      recovery: /WAS applied/,
      node2At: 'to',
    });
    expect(h.message).toContain('exit 7');
    const passed = r
      .events()
      .filter((e) => e.type === 'gate.checked' && e.gate === 'command:0' && e.node === c!.nodes[0].name);
    expect(passed.map((g) => g.ok)).toEqual([true]);
  });

  it('gates.commands: ["exit 7"] halts at the first node; nodes 2 and 3 untouched', async () => {
    c = await startCluster('exit7', { nodes: 2 });
    await c.setGates({ soakSeconds: 0, timeoutSeconds: 60, commands: ['exit 7'] });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(r.code, r.stderr).toBe(4);
    const h = r.events().find((e) => e.type === 'rollout.halted')!;
    expect(h).toMatchObject({ node: c.nodes[0].name, check: 'gate-after:command:0' });
    expect(
      r
        .events()
        .filter((e) => e.type === 'step.started' && e.node === c!.nodes[1].name)
        .map((e) => e.step),
    ).toEqual(['stage']);
  });
});
