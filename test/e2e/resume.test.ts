// Crash safety of `upgrade`: SIGKILL the built CLI while node 2's `relup upgrade` runs inside the
// VM, then continue with `--resume` (and, separately, with a plain re-run). The node's upgrade must
// be awaited and judged, never sent twice; the killed controller's lock is stale (same host, dead
// pid) and taken over with a warning; the journal ends complete.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { setFaults } from '../../src/sim/faults.js';
import { lockPath } from '../../src/rollout/state/lock.js';
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
  until,
  type CliEvent,
} from './support/crashCli.js';

// Node 2's upgrade stays inside the VM this long after the kill: the resume has to wait it out.
const SLOW_S = 4;

let cluster: SimCluster | null = null;
let dir = '';

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

const upgradeArgs = (c: SimCluster, ...more: string[]) => [
  'upgrade',
  '-i',
  c.inventoryPath,
  '--tarball',
  c.tarballPath,
  '--yes',
  '--json',
  ...more,
];

describe('SIGKILL while node 2 upgrades, then continue', () => {
  for (const how of ['--resume', 'plain re-run'] as const) {
    it(`${how}: every node at the target, node 2 upgraded exactly once, stale lock taken over`, async () => {
      dir = await mkdtemp(join(tmpdir(), 'emqx-rollout-e2e-resume-'));
      cluster = await startSimCluster({ dir, nodes: 3, soakSeconds: 0 });
      const c = cluster;
      const [n1, n2, n3] = c.nodes;
      await setFaults(n2.rootDir, { slowUpgradeSeconds: SLOW_S });

      const first = startCli(upgradeArgs(c));
      await first.waitFor(
        (e) => e.type === 'step.started' && e.node === n2.name && e.step === 'upgrade',
        60_000,
        `step.started upgrade on ${n2.name}`,
      );
      // Kill only once the command reached the VM (its log row is in-progress): the interesting
      // case, where the upgrade outlives the controller that sent it.
      await until(
        () => relupRows(n2.rootDir).some((r) => r.status === 'in-progress'),
        15_000,
        `an in-progress relup row on ${n2.name}`,
      );
      const killed = await sigkill(first);
      expect(killed.signal).toBe('SIGKILL');
      expect(
        killed.events.some((e) => e.type === 'node.done' && e.node === n1.name),
        'node 1 finished before the kill',
      ).toBe(true);
      // The upgrade is still running inside node 2's VM, and the killed run's lock is still there.
      expect(relupRows(n2.rootDir).at(-1)?.status).toBe('in-progress');
      for (const n of c.nodes)
        expect(existsSync(lockPath({ stagingDir: n.stagingDir } as never)), `lock file on ${n.name}`).toBe(true);

      const again = await runCli(upgradeArgs(c, ...(how === '--resume' ? ['--resume'] : [])), { timeoutMs: 90_000 });
      expect(again.code, explain(again)).toBe(0);

      // All nodes at the target; each node's relup log has exactly one row, a success.
      for (const n of [n1, n2, n3]) {
        expect(runningVersion(n.rootDir), n.name).toBe(c.to);
        expect(relupRows(n.rootDir).length, `${n.name} relup log rows`).toBe(1);
        expect(successRows(n.rootDir), `${n.name} success rows`).toBe(1);
      }
      // Node 2's only attempt is the one the killed run sent, and it completed after the kill.
      const row2 = relupRows(n2.rootDir)[0];
      expect(row2.status).toBe('finished');
      expect(row2.target).toBe(c.to);

      // The second run did not send node 2 another upgrade; it awaited the first one.
      const ev = again.events;
      const upgradeSteps = (node: string) =>
        ev.filter((e: CliEvent) => e.type === 'step.started' && e.step === 'upgrade' && e.node === node);
      expect(upgradeSteps(n1.name)).toHaveLength(0);
      expect(upgradeSteps(n2.name)).toHaveLength(0);
      expect(upgradeSteps(n3.name)).toHaveLength(1);
      expect(
        ev.some(
          (e) =>
            e.type === 'log' && e.node === n2.name && /without recording the end; re-observing/.test(String(e.message)),
        ),
      ).toBe(true);
      expect(ev.filter((e) => e.type === 'node.done' && e.outcome === 'upgraded').map((e) => e.node)).toEqual([
        n2.name,
        n3.name,
      ]);
      expect(ev.at(-1)?.type === 'rollout.done' || ev.some((e) => e.type === 'rollout.done')).toBe(true);

      // The stale lock of the killed controller (same host, dead pid) was taken over, with a warning.
      const takeovers = ev.filter(
        (e) => e.type === 'log' && e.level === 'warn' && /took over the cluster lock/.test(String(e.message)),
      );
      expect(takeovers.map((e) => e.node)).toEqual(c.nodes.map((n) => n.name));
      for (const t of takeovers) expect(String(t.message)).toContain(`pid ${first.pid}`);
      for (const n of c.nodes)
        expect(existsSync(lockPath({ stagingDir: n.stagingDir } as never)), `lock released on ${n.name}`).toBe(false);

      // The journal is complete: per node one begin and an end after it; the second run ended 'done'.
      const j = readJournalFile(c.inventoryPath, 'sim');
      for (const n of c.nodes) {
        const begins = j.filter((r) => r.kind === 'upgrade.begin' && r.node === n.name);
        const ends = j.filter((r) => r.kind === 'upgrade.end' && r.node === n.name);
        expect(begins, `${n.name} upgrade.begin records`).toHaveLength(1);
        expect(ends.length, `${n.name} upgrade.end records`).toBeGreaterThanOrEqual(1);
        expect(j.indexOf(ends.at(-1)!)).toBeGreaterThan(j.indexOf(begins[0]));
      }
      const end2 = j.filter((r) => r.kind === 'upgrade.end' && r.node === n2.name);
      expect(end2.map((r) => r.verdict)).toEqual(['complete-observed']);
      const runIds = [...new Set(j.filter((r) => r.kind === 'run.start').map((r) => r.runId))];
      expect(runIds).toHaveLength(2);
      expect(j.some((r) => r.kind === 'run.end' && r.runId === runIds[0])).toBe(false); // SIGKILL: no end
      expect(j.find((r) => r.kind === 'run.end' && r.runId === runIds[1])?.outcome).toBe('done');
    }, 120_000);
  }
});
