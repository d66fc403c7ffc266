// The cluster lock through the built CLI: a foreign holder (another bastion) stops a run with exit 6
// and its details; --break-lock takes it over; of two concurrent runs exactly one proceeds and the
// other exits 6 naming the winner, having changed nothing. Plus --resume's refusals: nothing to
// resume (exit 2) and a tarball that no longer matches the paused run (exit 3, resume-mismatch).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPath } from '../../src/rollout/state/lock.js';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { setFaults } from '../../src/sim/faults.js';
import { buildReleaseTarball } from '../../src/sim/tarball.js';
import {
  ensureBuilt,
  explain,
  readJournalFile,
  relupRows,
  runCli,
  runningVersion,
  startCli,
  successRows,
  type CliResult,
} from './support/crashCli.js';

let cluster: SimCluster | null = null;
let dir = '';

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'emqx-rollout-e2e-lock-'));
  cluster = await startSimCluster({ dir, nodes: 3, soakSeconds: 0 });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const lockFile = (n: { stagingDir: string }) => lockPath(n as never);
const upgrade = (c: SimCluster, ...more: string[]) => [
  'upgrade',
  '-i',
  c.inventoryPath,
  '--tarball',
  c.tarballPath,
  '--yes',
  '--json',
  ...more,
];
const stagedFiles = (n: { stagingDir: string }) =>
  readdirSync(n.stagingDir).filter((f) => f.endsWith('.tar.gz') || f.endsWith('.part'));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const FOREIGN = {
  runId: '20250101T000000Z-f00ba4',
  cluster: 'sim',
  command: 'upgrade',
  user: 'alice',
  host: 'bastion-2.example.net',
  pid: 4242,
  startedAt: '2025-01-01T00:00:00.000Z',
};

// One cluster, steps in order: each step starts from the state the previous one left.
describe.sequential('cluster lock and --resume refusals (built CLI, sim cluster)', () => {
  it('--resume with nothing to resume: exit 2', async () => {
    const c = cluster!;
    const r = await runCli(upgrade(c, '--resume'));
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/--resume: no unfinished upgrade run of sim/);
    expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
    for (const n of c.nodes) expect(relupRows(n.rootDir)).toHaveLength(0);
  });

  it('a lock held by a controller on another host: exit 6 with its details, nothing changed', async () => {
    const c = cluster!;
    const raw = `${JSON.stringify(FOREIGN)}\n`;
    for (const n of c.nodes) writeFileSync(lockFile(n), raw);
    const r = await runCli(upgrade(c));
    expect(r.code, explain(r)).toBe(6);
    for (const s of ['alice@bastion-2.example.net', 'pid 4242', `run ${FOREIGN.runId}`]) expect(r.stderr).toContain(s);
    expect(r.stderr).toMatch(/--break-lock/);
    for (const n of c.nodes) {
      expect(readFileSync(lockFile(n), 'utf8'), `foreign lock on ${n.name} untouched`).toBe(raw);
      expect(stagedFiles(n), `nothing staged on ${n.name}`).toEqual([]);
      expect(relupRows(n.rootDir)).toHaveLength(0);
    }
    expect(r.events.some((e) => e.type === 'step.started')).toBe(false);
  });

  it('--break-lock takes over a live foreign holder (warned), --pause-after 1 upgrades node 1 only', async () => {
    const c = cluster!;
    const r = await runCli(upgrade(c, '--break-lock', '--pause-after', '1'));
    expect(r.code, explain(r)).toBe(5);
    const takeovers = r.events.filter(
      (e) =>
        e.type === 'log' &&
        e.level === 'warn' &&
        /took over the cluster lock from alice@bastion-2\.example\.net pid 4242/.test(String(e.message)),
    );
    expect(takeovers.map((e) => e.node)).toEqual(c.nodes.map((n) => n.name));
    expect(successRows(c.nodes[0].rootDir)).toBe(1);
    expect(relupRows(c.nodes[1].rootDir)).toHaveLength(0);
    expect(relupRows(c.nodes[2].rootDir)).toHaveLength(0);
    // our own lock is released on the way out; the foreign one is gone for good
    for (const n of c.nodes) expect(existsSync(lockFile(n)), `lock on ${n.name}`).toBe(false);
  });

  it('--resume refuses when the tarball changed since the paused run: exit 3, resume-mismatch', async () => {
    const c = cluster!;
    // Same version, different bytes (other padding) → another sha256.
    const other = await buildReleaseTarball({ version: c.to, outDir: join(dir, 'other-release'), padBytes: 4096 });
    const r = await runCli([
      'upgrade',
      '-i',
      c.inventoryPath,
      '--tarball',
      other.tarballPath,
      '--yes',
      '--json',
      '--resume',
    ]);
    expect(r.code, explain(r)).toBe(3);
    const mism = r.events.filter((e) => e.type === 'preflight.finding' && e.code === 'resume-mismatch');
    expect(mism.length).toBeGreaterThanOrEqual(1);
    expect(String(mism[0].message)).toMatch(/the tarball changed/);
    expect(String(mism[0].fix)).toMatch(/without --resume/);
    expect(relupRows(c.nodes[1].rootDir)).toHaveLength(0);
    expect(relupRows(c.nodes[2].rootDir)).toHaveLength(0);
    // the paused run's staged copies (same file name) still hold the original bytes
    const original = sha256(readFileSync(c.tarballPath));
    for (const n of c.nodes) expect(sha256(readFileSync(join(n.stagingDir, other.fileName))), n.name).toBe(original);
  });

  it('two concurrent runs: exactly one proceeds, the other exits 6 naming it and changes nothing', async () => {
    const c = cluster!;
    // Node 2's upgrade takes 3 s more, so the winner surely still holds the lock when the loser asks.
    await setFaults(c.nodes[1].rootDir, { slowUpgradeSeconds: 3 });
    const a = startCli(upgrade(c));
    const b = startCli(upgrade(c));
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const codes = [ra.code, rb.code].sort();
    expect(codes, `A: ${explain(ra)}\n\nB: ${explain(rb)}`).toEqual([0, 6]);
    const [win, lose, winPid] = ra.code === 0 ? [ra, rb, a.pid] : [rb, ra, b.pid];
    const runIdOf = (r: CliResult) => String(r.events.find((e) => e.type === 'rollout.started')?.runId);
    const winId = runIdOf(win);
    const loseId = runIdOf(lose);
    expect(lose.stderr).toContain(`pid ${winPid}`);
    expect(lose.stderr).toContain(`run ${winId}`);
    expect(lose.stderr).toMatch(/another rollout holds the lock of cluster sim on emqx@/);
    // the loser did nothing but read: no staging, no backup, no upgrade, no lock left behind
    expect(lose.events.filter((e) => e.type === 'step.started')).toEqual([]);
    const j = readJournalFile(c.inventoryPath, 'sim');
    const mine = j.filter((r) => r.runId === loseId);
    expect(
      mine.filter(
        (r) => r.kind === 'stage' || r.kind === 'upgrade.begin' || r.kind === 'backup' || r.kind === 'run.meta',
      ),
    ).toEqual([]);
    expect(mine.filter((r) => r.kind === 'exec' && /relup upgrade|tar |rm -f/.test(String(r.command)))).toEqual([]);
    // the winner finished the rollout: nodes 2 and 3 once each (node 1 was done before)
    for (const n of c.nodes) {
      expect(runningVersion(n.rootDir), n.name).toBe(c.to);
      expect(relupRows(n.rootDir), n.name).toHaveLength(1);
      expect(successRows(n.rootDir), n.name).toBe(1);
      expect(existsSync(lockFile(n)), `lock on ${n.name}`).toBe(false);
    }
  }, 90_000);

  it('--resume after the rollout finished: exit 2 (the loser of the race is not a run to resume)', async () => {
    const c = cluster!;
    const r = await runCli(upgrade(c, '--resume'));
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/no unfinished upgrade run/);
  });
});
