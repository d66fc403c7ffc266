// Faults that only the upgrade itself reveals (fault on node 2 of 3): the run halts there with
// exit 4. Each case gets a fresh cluster: a halted rollout leaves node 1 upgraded and node 2 dirty.
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, upgradeArgs } from './support/cli.js';
import { relupLogs, startCluster, type E2eCluster } from './support/cluster.js';
import { expectHaltedAtNode2 } from './support/halt.js';

let c: E2eCluster | undefined;
afterEach(async () => {
  await c?.destroy();
  c = undefined;
});

describe('upgrade: faults caught while upgrading node 2 (exit 4)', () => {
  it('sha256 mismatch on the node (its copy is corrupt): refused, nothing applied', async () => {
    c = await startCluster('sha');
    await c.setFaults(2, { shaMismatch: true });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    await expectHaltedAtNode2(c, r, {
      check: 'upgrade',
      evidence: /sha256_mismatch/,
      recovery: /refused the hop before applying anything/,
      node2At: 'from',
    });
    const rows = await relupLogs(c.nodes[1]);
    expect(rows).toHaveLength(1);
    expect(rows[0].line).toMatch(/result=.*sha256_mismatch/);
  });

  it('crash during code change: the VM restarted on the old tree, and the recovery says so (plain output)', async () => {
    c = await startCluster('crash');
    await c.setFaults(2, { crashDuringCodeChange: true });
    // plain lines (not --json): what an operator's CI log shows
    const plain = await runCli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--yes']);
    expect(plain.code, plain.stderr).toBe(4);
    const out = plain.stdout + plain.stderr;
    expect(out).toMatch(new RegExp(`HALTED ${c.nodes[1].name.replace(/\./g, '\\.')} upgrade: .*VM restarted`));
    expect(out).toContain('RPC to emqx@127.0.0.12 failed: nodedown'); // the evidence: the node's own words
    expect(out).toMatch(
      /recovery:\n\s+1\. The code change crashed and emqx@127\.0\.0\.12 restarted its VM on the OLD tree/,
    );
    expect(out).toContain('relup logs-clear');
    expect(out).not.toMatch(/emqx@127\.0\.0\.13.*(backup|upgrade)/);
  });

  it('crash during code change (--json): halted at node 2 with the vm-restarted recovery', async () => {
    c = await startCluster('crashj');
    await c.setFaults(2, { crashDuringCodeChange: true });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    await expectHaltedAtNode2(c, r, {
      check: 'upgrade',
      evidence: /nodedown/,
      recovery: /restarted its VM on the OLD tree/,
      node2At: 'from',
    });
  });

  it('slow upgrade beyond timeoutSeconds: the deadline fires and the recovery says the VM may still be upgrading', async () => {
    c = await startCluster('slow', { gates: { soakSeconds: 0, timeoutSeconds: 3 } });
    await c.setFaults(2, { slowUpgradeSeconds: 30 });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    const h = await expectHaltedAtNode2(c, r, {
      check: 'upgrade',
      evidence: /timed out after \d+ ms/,
      recovery: /deadline expired/,
    });
    expect(h.message).toContain('within 3s');
    // the deadline, not the 30 s the node would have taken
    expect(r.durationMs).toBeLessThan(25_000);
  });
});
