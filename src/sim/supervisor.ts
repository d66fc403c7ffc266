#!/usr/bin/env node
// The background process behind `emqx-rollout sandbox up`: runs a simulated cluster and stays
// alive holding its SSH servers until SIGTERM/SIGINT. Writes `<dir>/sandbox.json` once ready
// (the signal sandboxUp waits for) or `<dir>/sandbox.error` when start-up failed.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimCluster, type SimCluster } from './cluster.js';
import { sandboxInfoOf, SANDBOX_ERROR, SANDBOX_JSON } from './sandboxInfo.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      nodes: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      layout: { type: 'string' },
      'ssh-user': { type: 'string' },
      'ctl-latency-ms': { type: 'string' },
    },
  });
  if (!values.dir) throw new Error('--dir is required');
  const dir = values.dir;
  rmSync(join(dir, SANDBOX_ERROR), { force: true });
  let cluster: SimCluster | undefined;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await cluster?.stop();
    rmSync(join(dir, SANDBOX_JSON), { force: true });
    clearInterval(keepAlive);
  };
  // the SSH servers keep the loop alive; this guards the window before they exist
  const keepAlive = setInterval(() => undefined, 60_000);
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  try {
    cluster = await startSimCluster({
      dir,
      nodes: values.nodes ? Number(values.nodes) : undefined,
      from: values.from,
      to: values.to,
      layout: values.layout === 'pkg' ? 'pkg' : 'tgz',
      sshUser: values['ssh-user'],
      ctlLatencyMs: values['ctl-latency-ms'] ? Number(values['ctl-latency-ms']) : undefined,
    });
  } catch (e) {
    writeFileSync(join(dir, SANDBOX_ERROR), e instanceof Error ? e.message : String(e));
    clearInterval(keepAlive);
    process.exitCode = 1;
    return;
  }
  if (stopping) {
    await cluster.stop();
    return;
  }
  const tmp = join(dir, `${SANDBOX_JSON}.tmp`);
  writeFileSync(tmp, JSON.stringify(sandboxInfoOf(cluster, process.pid), null, 2));
  renameSync(tmp, join(dir, SANDBOX_JSON));
}

main().catch((e: unknown) => {
  process.stderr.write(`sandbox supervisor: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
