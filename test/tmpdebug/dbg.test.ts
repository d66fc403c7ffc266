import { it } from 'vitest';
import { runCli, upgradeArgs } from '../e2e/support/cli.js';
import { startCluster } from '../e2e/support/cluster.js';
it('dbg', async () => {
  const c = await startCluster('dbg', { gates: { soakSeconds: 0, timeoutSeconds: 60 } });
  try {
    const r = await runCli([...upgradeArgs(c.inventoryPath, c.tarballPath).filter((a) => a !== '--json'), '--plain']);
    console.log('CODE', r.code, r.stdout.slice(-6000), r.stderr.slice(-3000));
  } finally { await c.destroy(); }
}, 300_000);
