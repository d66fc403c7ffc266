// Crash safety during staging: SIGKILL the built CLI while a big tarball is being uploaded, then
// `--resume`. Node 1 (fully staged before the kill) is 'present', node 2's `.part` upload is
// 'resumed' from its verified prefix rather than sent again, and no node is upgraded twice.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import {
  ensureBuilt,
  explain,
  readJournalFile,
  relupRows,
  runCli,
  runningVersion,
  sigkill,
  startCli,
  successRows,
} from './support/crashCli.js';

// 192 MiB of incompressible padding, uploaded one node at a time (--stage-concurrency 1). Uploads
// to the simulator run at ~250 MiB/s and NDJSON progress is throttled to 4 events/s per node, so
// the file must take about a second per node for the kill to land mid-file (48 MiB finished
// between two progress events once the SSH server stopped paying Nagle delays).
const PAD_BYTES = 192 * 1024 * 1024;

let cluster: SimCluster | null = null;
let dir = '';

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'emqx-rollout-e2e-stage-'));
  cluster = await startSimCluster({ dir, nodes: 3, soakSeconds: 0, padBytes: PAD_BYTES });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('SIGKILL during staging, then --resume', () => {
  it('resumes the .part upload, stages every node, upgrades each exactly once', async () => {
    const c = cluster!;
    const [n1, n2, n3] = c.nodes;
    const fileName = c.tarballPath.split('/').pop()!;
    const size = statSync(c.tarballPath).size;
    const args = [
      'upgrade',
      '-i',
      c.inventoryPath,
      '--tarball',
      c.tarballPath,
      '--yes',
      '--json',
      '--stage-concurrency',
      '1',
    ];

    const first = startCli(args);
    const t0 = Date.now();
    await first.waitFor(
      (e) => e.type === 'step.started' && e.step === 'stage' && e.node === n1.name,
      60_000,
      'staging to start',
    );
    const tStage = Date.now();
    // Kill while node 2's upload streams: past a quarter of the file, not finished.
    await first.waitFor(
      (e) => e.type === 'stage.progress' && e.node === n2.name && e.done === false && Number(e.bytesDone) > size / 4,
      60_000,
      `stage.progress past 25% on ${n2.name}`,
    );
    const killed = await sigkill(first);
    const tKill = Date.now();
    expect(killed.signal).toBe('SIGKILL');
    expect(
      killed.events.some((e) => e.type === 'stage.progress' && e.node === n1.name && e.done === true),
      'node 1 staged before the kill',
    ).toBe(true);
    // Pipelined staging: node 1 may be gated and upgraded while node 2 uploads, but no node whose
    // upload had not finished was ever touched.
    expect(
      killed.events.some(
        (e) => e.type === 'step.started' && (e.step === 'backup' || e.step === 'upgrade') && e.node !== n1.name,
      ),
      'nothing beyond staging on nodes 2 and 3 before the kill',
    ).toBe(false);
    console.log(
      `[measure] staging started ${tStage - t0} ms after launch; killed ${tKill - tStage} ms into staging (tarball ${(size / 1048576).toFixed(1)} MiB)`,
    );

    const part2 = join(n2.stagingDir, `${fileName}.part`);
    expect(existsSync(part2), `${part2} left by the killed upload`).toBe(true);
    const partBytes = statSync(part2).size;
    expect(partBytes).toBeGreaterThan(0);
    expect(partBytes).toBeLessThan(size);
    for (const n of [n2, n3]) expect(relupRows(n.rootDir), `${n.name} untouched`).toHaveLength(0);
    expect(relupRows(n1.rootDir).length, `${n1.name}: at most its one hop`).toBeLessThanOrEqual(1);

    const again = await runCli([...args, '--resume'], { timeoutMs: 120_000 });
    expect(again.code, explain(again)).toBe(0);

    const staged = new Map(
      again.events.filter((e) => e.type === 'stage.progress' && e.done === true).map((e) => [e.node, e.action]),
    );
    expect(staged.get(n1.name)).toBe('present');
    expect(staged.get(n2.name)).toBe('resumed');
    expect(staged.get(n3.name)).toBe('uploaded');
    // the journal agrees: the resumed run sent node 2 only what was missing
    const j = readJournalFile(c.inventoryPath, 'sim');
    const stage2 = j.filter(
      (r) => r.kind === 'stage' && r.node === n2.name && r.remotePath === join(n2.stagingDir, fileName),
    );
    expect(stage2.map((r) => r.action)).toEqual(['resumed']);
    expect(Number(stage2[0].bytesSent)).toBeLessThanOrEqual(size - partBytes);
    expect(existsSync(part2)).toBe(false);

    for (const n of [n1, n2, n3]) {
      expect(runningVersion(n.rootDir), n.name).toBe(c.to);
      expect(relupRows(n.rootDir), `${n.name} relup log rows`).toHaveLength(1);
      expect(successRows(n.rootDir), `${n.name} success rows`).toBe(1);
    }
    const runIds = [...new Set(j.filter((r) => r.kind === 'run.start').map((r) => r.runId))];
    expect(j.find((r) => r.kind === 'run.end' && r.runId === runIds.at(-1))?.outcome).toBe('done');
    for (const n of c.nodes)
      expect(
        j.filter((r) => r.kind === 'upgrade.begin' && r.node === n.name),
        n.name,
      ).toHaveLength(1);
  }, 150_000);
});
