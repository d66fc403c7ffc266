// Every fault the orchestrator must catch BEFORE changing anything: exit 3, the finding names the
// node and the fix, and no node has anything staged, locked or backed up. One cluster is shared:
// a blocked run changes nothing, so the next case starts from the same clean state (that is
// itself checked after every case).
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, upgradeArgs, type CliEvent, type CliRun } from './support/cli.js';
import {
  footprint,
  relupLogs,
  run,
  runningVersion,
  sim,
  startCluster,
  type E2eCluster,
  type Faults,
} from './support/cluster.js';

let c: E2eCluster;

beforeAll(async () => {
  c = await startCluster('preflight');
}, 60_000);
afterAll(async () => {
  await c?.destroy();
});

const findings = (r: CliRun): CliEvent[] => r.events().filter((e) => e.type === 'preflight.finding');
const blockers = (r: CliRun): string[] =>
  findings(r)
    .filter((f) => f.severity === 'blocker')
    .map((f) => `${f.code}@${f.node ?? '-'}`);

/** Nothing on any node: no staged file, no lock, no backup, still the from-version, no relup row. */
async function expectUntouched(): Promise<void> {
  const seen = await Promise.all(
    c.nodes.map(async (n) => ({ node: n.name, ...(await footprint(n)), logs: await relupLogs(n) })),
  );
  expect(seen).toEqual(c.nodes.map((n) => ({ node: n.name, staging: [], backups: [], lock: false, logs: [] })));
}

async function expectBlocked(r: CliRun, code: string, node: string): Promise<CliEvent> {
  expect(r.code, r.stderr).toBe(3);
  expect(blockers(r)).toContain(`${code}@${node}`);
  const f = findings(r).find((x) => x.code === code && x.node === node)!;
  expect(f.message).toContain(node);
  expect(typeof f.fix).toBe('string');
  // the plain error on stderr names the code, the node and the fix too
  expect(r.stderr).toContain(`[${code}]`);
  expect(r.stderr).toContain(node);
  expect(r.stderr).toContain(f.fix as string);
  expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
  expect(r.events().map((e) => e.type)).toContain('plan.ready');
  expect(r.events().filter((e) => e.type === 'step.started' && e.node !== '*')).toEqual([]);
  await expectUntouched();
  return f;
}

describe('upgrade: faults caught at preflight (exit 3, nothing staged anywhere)', () => {
  const node2 = (): string => c.nodes[1].name;
  const cases: Array<[string, Partial<Faults>, string]> = [
    ['plugin stopped', { pluginStopped: true }, 'plugin-not-running'],
    ['plugin missing', { pluginMissing: true }, 'plugin-missing'],
    ['plugin 1.0.0 without the 5.10.4 → 5.10.5 hop', { pluginVersion: '1.0.0' }, 'hop-unsupported'],
    ['catalog without the hop (unsupported path)', { unsupportedPath: true }, 'hop-unsupported'],
    ['stale hot-patches in data/patches', { stalePatches: true }, 'stale-patches'],
    ['node down', { nodeDown: true }, 'node-not-running'],
    ['relup/ not writable', { relupNotWritable: true }, 'relup-not-writable'],
    // 4 KiB free: less than the tiny simulated tarball plus 3x (the default 1 MiB would pass it)
    ['disk full', { diskFull: 4 }, 'disk-insufficient'],
  ];
  for (const [title, fault, code] of cases) {
    it(`${title} → ${code} on node 2`, async () => {
      await c.setFaults(2, fault);
      let r: CliRun;
      try {
        r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
      } finally {
        await c.clearFaults(2);
      }
      await expectBlocked(r, code, node2());
      // only node 2 is blamed
      expect(blockers(r).filter((b) => !b.endsWith(`@${node2()}`))).toEqual([]);
    });
  }

  it('plan agrees: exit 3 with the same blocker, and changes nothing', async () => {
    await c.setFaults(2, { pluginStopped: true });
    let r: CliRun;
    try {
      r = await runCli(['plan', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--json']);
    } finally {
      await c.clearFaults(2);
    }
    expect(r.code, r.stderr).toBe(3);
    expect(blockers(r)).toContain(`plugin-not-running@${node2()}`);
    await expectUntouched();
  });

  it('an inventory node missing from the cluster → cluster-node-not-running', async () => {
    const file = join(c.dir, 'cluster.json');
    const orig = await readFile(file, 'utf8');
    const members = JSON.parse(orig) as { nodes: Array<{ name: string }> };
    await writeFile(file, JSON.stringify({ nodes: members.nodes.filter((m) => m.name !== c.nodes[2].name) }));
    try {
      const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
      const f = await expectBlocked(r, 'cluster-node-not-running', c.nodes[2].name);
      expect(f.message).toContain(c.nodes[0].name); // "as seen from" the nodes that lack it
    } finally {
      await writeFile(file, orig);
    }
  });

  it('a tarball for another OS → tarball-os-mismatch on every node', async () => {
    const m = await sim();
    const el9 = await m.tarball.buildReleaseTarball({ version: c.to, os: 'el9', outDir: join(c.dir, 'el9') });
    const r = await runCli(upgradeArgs(c.inventoryPath, el9.tarballPath));
    for (const n of c.nodes) await expectBlocked(r, 'tarball-os-mismatch', n.name);
  });

  it('a version mismatch between nodes (node 2 runs 5.10.3) → version-mismatch', async () => {
    const m = await sim();
    const n2 = c.nodes[1];
    const old = await m.tarball.buildReleaseTarball({ version: '5.10.3', outDir: join(c.dir, 'old') });
    const reinstall = async (file: string): Promise<void> => {
      await m.cluster.stopNodeDaemon(n2.rootDir);
      await tar.x({ file, cwd: n2.rootDir });
      const s = await run(join(n2.rootDir, 'bin', 'emqx'), ['start'], {
        ...process.env,
        TMPDIR: join(c.dir, 'nodes', '2', 'tmp'),
      });
      expect(s.code, s.stdout + s.stderr).toBe(0);
    };
    await reinstall(old.tarballPath);
    try {
      expect(await runningVersion(n2)).toBe('5.10.3');
      const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
      const f = await expectBlocked(r, 'version-mismatch', n2.name);
      expect(f.message).toContain('5.10.3');
      expect(f.message).toContain(c.from);
    } finally {
      const back = await m.tarball.buildReleaseTarball({ version: c.from, outDir: join(c.dir, 'back') });
      await reinstall(back.tarballPath);
      expect(await runningVersion(n2)).toBe(c.from);
    }
  });

  it('non-TTY without --yes → exit 2 before touching anything', async () => {
    const r = await runCli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a terminal/);
    expect(r.stderr).toContain('--yes');
    expect(r.stdout).toBe('');
    await expectUntouched();
  });

  it('a tarball whose sidecar does not match → exit 2 (bad input), nothing touched', async () => {
    const dir = join(c.dir, 'badsidecar');
    await mkdir(dir, { recursive: true });
    const tb = join(dir, basename(c.tarballPath));
    await copyFile(c.tarballPath, tb);
    await writeFile(`${tb}.sha256`, 'ab'.repeat(32));
    const r = await runCli(upgradeArgs(c.inventoryPath, tb));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${tb}.sha256`);
    expect(r.stderr).toMatch(/sha256/i);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    await expectUntouched();
    await rm(dir, { recursive: true, force: true });
  });

  it('stale patches with --force: preflight warns and the rollout proceeds (exit 0)', async () => {
    await c.setFaults(2, { stalePatches: true });
    try {
      const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath, '--force'));
      expect(r.code, r.stderr).toBe(0);
      const f = findings(r).find((x) => x.code === 'stale-patches');
      expect(f).toMatchObject({ severity: 'warning', node: node2() });
      // --force reached the node's own command, which would refuse without it
      const up = r.events().find((e) => e.type === 'step.started' && e.step === 'upgrade' && e.node === node2());
      expect(up?.detail).toMatch(/relup upgrade .*--force|--force.*relup upgrade/);
      for (const n of c.nodes) expect(await runningVersion(n)).toBe(c.to);
    } finally {
      await c.clearFaults(2);
    }
  });
});
