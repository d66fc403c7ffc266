// The journal is write-ahead: when it cannot be written mid-run, the run halts (exit 4, the journal
// path and the OS error named) before the next remote action, and the next node is untouched.
//
// The state dir is a 1 MiB tmpfs; node 1's gate command fills it (gate commands run on the node,
// and the simulated nodes share this machine's filesystem), so the very next durable record —
// node 1's `node.gated` — fails with ENOSPC. Mounting needs root: CI runs as root; elsewhere the
// test skips with a printed reason, and under CI=true a missing privilege is a failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, upgradeArgs } from './support/cli.js';
import { relupLogs, runningVersion, startCluster, type E2eCluster } from './support/cluster.js';

function canMount(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'mnt-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('mounting a tmpfs is required under CI=true (run as root)');
    console.warn('[skip] cannot mount a tmpfs (not root): the journal-unwritable e2e test is skipped');
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

let c: E2eCluster | undefined;
let mnt: string | undefined;
afterEach(async () => {
  await c?.destroy();
  c = undefined;
  if (mnt) {
    try {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    } catch {
      // already unmounted
    }
    rmSync(mnt, { recursive: true, force: true });
    mnt = undefined;
  }
});

describe.skipIf(!canMount())('journal unwritable mid-run', () => {
  it('halts before the next node with exit 4, naming the journal and ENOSPC; node 2 and 3 untouched', async () => {
    mnt = mkdtempSync(join(tmpdir(), 'e2e-statefs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    const fill = `dd if=/dev/zero of=${mnt}/fill bs=64k 2>/dev/null; true`;
    c = await startCluster('walfull', { gates: { soakSeconds: 0, timeoutSeconds: 60, commands: [fill] } });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath, '--no-backup', '--state-dir', mnt));
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(join(mnt, 'journal.ndjson'));
    expect(r.stderr).toContain('ENOSPC');
    const ev = r.events();
    const halted = ev.filter((e) => e.type === 'rollout.halted');
    expect(halted).toHaveLength(1);
    expect(String(halted[0].message)).toMatch(/journal .* cannot be written \(ENOSPC\)/);
    // node 1 was upgraded (its hop ran before the disk filled); nodes 2 and 3 never saw a hop
    const [n1, n2, n3] = c.nodes;
    expect(await runningVersion(n1)).toBe(c.to);
    for (const n of [n2, n3]) {
      expect(await runningVersion(n)).toBe(c.from);
      expect(await relupLogs(n)).toHaveLength(0);
    }
    expect(ev.filter((e) => e.type === 'step.started' && e.node !== n1.name && e.step === 'upgrade')).toHaveLength(0);
  });
});
