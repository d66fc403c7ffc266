// `plan` without a tarball, with --releases DIR and with a window, on the built CLI against a
// simulated cluster whose nodes list different catalogs:
//   node 1: plugin 1.0.1 listing 5.10.4 -> 5.10.5 and 5.10.4 -> 5.10.6
//   node 2: plugin 1.0.1 listing 5.10.4 -> 5.10.5 only (the default)
//   node 3: plugin 1.0.0 (empty catalog), later switched to 1.0.1
// and a releases directory holding a right, a wrong-arch and a corrupt 5.10.5 tarball.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as StateMod from '../../src/sim/state.js';
import { distDir, runCli, type CliEvent, type CliRun } from './support/cli.js';
import { footprint, sim, startCluster, type E2eCluster } from './support/cluster.js';

let c: E2eCluster;
let releases: string;
const names = () => c.nodes.map((n) => n.name);

// plan.ready as the JSON consumer sees it
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plan.ready read back as untyped JSON
type Plan = Record<string, any>;

const planOf = (r: CliRun): Plan => {
  const e = r.events().find((x: CliEvent) => x.type === 'plan.ready');
  expect(e, `no plan.ready in ${r.stdout}\n${r.stderr}`).toBeDefined();
  return e!.plan as Plan;
};

beforeAll(async () => {
  // deadline 300 s + soak 30 s: the engine reserves 5.5 min per node in a window
  c = await startCluster('plan-hops', { gates: { soakSeconds: 30, timeoutSeconds: 300 } });
  const state = (await import(pathToFileURL(join(distDir(), 'sim', 'state.js')).href)) as typeof StateMod;
  const root = c.nodes[0].rootDir;
  state.writeState(root, {
    ...state.readState(root),
    catalog: [
      { from: '5.10.4', target: '5.10.5' },
      { from: '5.10.4', target: '5.10.6' },
    ],
  });
  await c.setFaults(3, { pluginVersion: '1.0.0' });

  // releases/: the right tarball, one for arm64 (BUILD_INFO aarch64), and a corrupt copy whose
  // bytes no longer match its sidecar. The corrupt one sorts first, so skipping it is visible.
  const m = await sim();
  releases = join(c.dir, 'releases');
  await mkdir(releases, { recursive: true });
  await copyFile(c.tarballPath, join(releases, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz'));
  await copyFile(c.sidecarPath, join(releases, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256'));
  await m.tarball.buildReleaseTarball({
    version: '5.10.5',
    arch: 'arm64',
    buildArch: 'aarch64-unknown-linux-gnu',
    outDir: releases,
  });
  const bytes = await readFile(c.tarballPath);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  const corrupt = join(releases, 'emqx-enterprise-5.10.5-elixir-ubuntu22.04-amd64.tar.gz');
  await writeFile(corrupt, bytes);
  await copyFile(c.sidecarPath, `${corrupt}.sha256`);
}, 90_000);

afterAll(async () => {
  await c?.destroy();
});

/** plan never changes a node: nothing staged, locked or backed up. */
async function expectUntouched(): Promise<void> {
  for (const n of c.nodes) expect(await footprint(n)).toEqual({ staging: [], backups: [], lock: false });
}

describe('plan without a tarball', () => {
  it('no --to: each node its version and listed hops; exit 0 since every node answered', async () => {
    const r = await runCli(['plan', '-i', c.inventoryPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const p = planOf(r);
    expect(p.schemaVersion).toBe(2);
    expect(p.tarball).toBeNull();
    expect(p.nodes.map((n: Plan) => [n.name, n.from, n.hops.plugin, n.hops.targets])).toEqual([
      [names()[0], '5.10.4', '1.0.1', ['5.10.5', '5.10.6']],
      [names()[1], '5.10.4', '1.0.1', ['5.10.5']],
      [names()[2], '5.10.4', '1.0.0', []],
    ]);
    expect(p.hops.common).toEqual([]); // node 3 lists nothing
    await expectUntouched();
  });

  it('--to 5.10.5: node 3 has no hot hop (plugin 1.0.0, empty catalog) → exit 3, says why and what instead', async () => {
    const r = await runCli(['plan', '-i', c.inventoryPath, '--to', '5.10.5', '--json']);
    expect(r.code, r.stderr).toBe(3);
    const p = planOf(r);
    expect(p.nodes.map((n: Plan) => [n.action, n.hops.hot])).toEqual([
      ['upgrade', true],
      ['upgrade', true],
      ['blocked', false],
    ]);
    expect(p.nodes[2].hops.noHop).toMatchObject({
      code: 'plugin-empty-catalog',
      message: expect.stringContaining('emqx_relup-1.0.0'),
    });
    const blockers = r.events().filter((e) => e.type === 'preflight.finding' && e.severity === 'blocker');
    expect(blockers.map((b) => `${b.code}@${b.node}`)).toEqual([`plugin-empty-catalog@${names()[2]}`]);
    expect(String(blockers[0].fix)).toContain('1.0.1');
    expect(r.stderr).toContain('not every node of sim has a hot hop to 5.10.5');
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)/);
  });

  it('--to 5.10.6 (text): node 2 does not list it, node 3 lists nothing; each node says so', async () => {
    const r = await runCli(['plan', '-i', c.inventoryPath, '--to', '5.10.6']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(
      new RegExp(
        `${names()[0].replace(/\./g, '\\.')}\\s+5\\.10\\.4\\s+plugin 1\\.0\\.1\\s+lists: .*✓ hot hop to 5\\.10\\.6`,
      ),
    );
    expect(r.stdout).toContain(
      `why: [hop-not-in-catalog] ${names()[1]}: plugin emqx_relup-1.0.1 does not list 5.10.4 -> 5.10.6`,
    );
    expect(r.stdout).toContain('instead: or hop to 5.10.5 instead (listed from 5.10.4)');
    expect(r.stdout).toContain(`why: [plugin-empty-catalog] ${names()[2]}`);
    expect(r.stdout).toContain(`No hot hop to 5.10.6 on 2 node(s): ${names()[1]}, ${names()[2]}. Nothing was changed.`);
  });

  it('--to 5.11.0: not a patch hop on any node, with the rolling restart as the way instead', async () => {
    const r = await runCli(['plan', '-i', c.inventoryPath, '--to', '5.11.0', '--json']);
    expect(r.code, r.stderr).toBe(3);
    const p = planOf(r);
    expect(p.nodes.map((n: Plan) => `${n.hops.noHop.code}/${n.hops.noHop.kind ?? ''}`)).toEqual(
      Array(3).fill('hop-not-patch/minor-or-major'),
    );
    expect(p.nodes[0].hops.noHop.instead[0]).toMatch(/rolling restart/);
  });

  it('bad flags: an unparseable --to and --tarball with --releases are bad input (exit 2)', async () => {
    const a = await runCli(['plan', '-i', c.inventoryPath, '--to', 'latest']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--to: "latest" is not an EMQX version');
    const b = await runCli(['plan', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--releases', releases]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--tarball and --releases exclude each other');
  });
});

describe('plan --releases DIR', () => {
  beforeAll(async () => {
    await c.setFaults(3, { pluginVersion: '1.0.1' }); // now every node lists 5.10.4 -> 5.10.5
  });

  it('picks the right tarball, reports the wrong-arch and the corrupt ones as skipped, and plans the hop', async () => {
    const r = await runCli(['plan', '-i', c.inventoryPath, '--releases', releases, '--to', '5.10.5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const p = planOf(r);
    expect(p.tarball.path).toBe(join(releases, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz'));
    expect(p.releases.chosen).toBe('emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz');
    expect(p.releases.rejected.map((x: Plan) => [x.fileName, x.reason])).toEqual([
      [
        'emqx-enterprise-5.10.5-elixir-ubuntu22.04-amd64.tar.gz',
        'release tarball emqx-enterprise-5.10.5-elixir-ubuntu22.04-amd64.tar.gz does not match its sha256 sidecar',
      ],
      [
        'emqx-enterprise-5.10.5-ubuntu22.04-arm64.tar.gz',
        'does not match the nodes (ubuntu22.04, aarch64-unknown-linux-gnu, OTP 27.3.4.2-8)',
      ],
    ]);
    expect(p.releases.rejected[1].details).toContain(
      `${names()[0]} is x86_64-pc-linux-gnu, the tarball is built for aarch64-unknown-linux-gnu`,
    );
    expect(
      r
        .events()
        .filter((e) => e.type === 'log' && e.level === 'warn')
        .map((e) => e.message),
    ).toHaveLength(2);
    expect(p.nodes.map((n: Plan) => n.action)).toEqual(['upgrade', 'upgrade', 'upgrade']);
    expect(p.nodes[0].steps.find((s: Plan) => s.kind === 'upgrade').detail).toContain(
      'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz',
    );
    // no history in this cluster's journal: the inventory's deadline and soak
    expect(p.nodes[0].estimate).toMatchObject({ source: 'inventory', reserveMs: 330_000 });
    expect(p.estimate.totalMs).toBe(p.estimate.stagingMs + 3 * p.nodes[0].estimate.expectedMs);
    await expectUntouched();
  });

  it('only a wrong-arch and a corrupt tarball left: no usable one → exit 2 naming both', async () => {
    const only = join(c.dir, 'releases-bad');
    await mkdir(only, { recursive: true });
    for (const f of [
      'emqx-enterprise-5.10.5-ubuntu22.04-arm64.tar.gz',
      'emqx-enterprise-5.10.5-elixir-ubuntu22.04-amd64.tar.gz',
    ]) {
      await copyFile(join(releases, f), join(only, f));
      await copyFile(join(releases, `${f}.sha256`), join(only, `${f}.sha256`));
    }
    try {
      const r = await runCli(['plan', '-i', c.inventoryPath, '--releases', only, '--to', '5.10.5']);
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr).toContain(`--releases ${only}: no usable tarball for 5.10.5`);
      expect(r.stderr).toContain('arm64.tar.gz: does not match the nodes');
      expect(r.stderr).toContain('elixir-ubuntu22.04-amd64.tar.gz: release tarball');
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)/);
    } finally {
      await rm(only, { recursive: true, force: true });
    }
  });

  it('a window that fits only some nodes: when each starts, and the first that would not fit', async () => {
    // A window open now for 14 minutes (UTC). Per node the engine reserves 5.5 min (deadline +
    // soak) and the estimate is ~6.3 min: nodes 1 and 2 fit, node 3 would start ~12.5 min in.
    const now = new Date();
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][now.getUTCDay()];
    const hhmm = (m: number) =>
      `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const start = now.getUTCHours() * 60 + now.getUTCMinutes();
    const window = `${day} ${hhmm(start)}-${hhmm(start + 14)} UTC`;
    const r = await runCli(['plan', '-i', c.inventoryPath, '--releases', releases, '--window', window, '--json']);
    expect(r.code, r.stderr).toBe(0); // the rollout can start; it would pause before node 3
    const p = planOf(r);
    expect(p.to).toBe('5.10.5'); // without --to: the newest hop every node can take, with a tarball
    expect(p.schedule.firstNotFitting).toBe(names()[2]);
    expect(p.nodes.map((n: Plan) => [n.slot.fits, n.slot.occurrence])).toEqual([
      [true, 0],
      [true, 0],
      [false, 1],
    ]);
    expect(Date.parse(p.nodes[1].slot.start) - Date.parse(p.nodes[0].slot.start)).toBe(p.nodes[0].estimate.expectedMs);
    expect(p.nodes[2].slot.reason).toMatch(/needs about 6 min but the window closes/);

    const t = await runCli(['plan', '-i', c.inventoryPath, '--releases', releases, '--window', window]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain(
      `Releases in ${releases} for 5.10.5: chose emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz`,
    );
    expect(t.stdout).toMatch(
      new RegExp(`${names()[2].replace(/\./g, '\\.')} .*starts .*\\(window #2\\)\\s+DOES NOT FIT`),
    );
    expect(t.stdout).toContain(`first node that does not fit: ${names()[2]}`);
    expect(t.stderr).toContain('warning: --releases: skipped emqx-enterprise-5.10.5-ubuntu22.04-arm64.tar.gz');
    await expectUntouched();
  });

  it("estimates from this cluster's own journal when it holds earlier upgrade runs", async () => {
    // Two earlier runs' successful steps, as the engine journals them (kind: event, step.finished).
    const journal = join(c.dir, '.emqx-rollout', 'sim', 'journal.ndjson');
    const before = await readFile(journal, 'utf8');
    const step = (runId: string, node: string, s: string, durationMs: number) =>
      JSON.stringify({
        ts: '2026-11-01T02:00:00.000Z',
        kind: 'event',
        runId,
        type: 'step.finished',
        node,
        step: s,
        ok: true,
        durationMs,
      });
    const lines = ['r1', 'r2'].flatMap((run, k) => [
      JSON.stringify({ kind: 'run.start', runId: run, command: 'upgrade' }),
      ...names().flatMap((n) => [
        step(run, n, 'gate-before', 2000),
        step(run, n, 'backup', 4000),
        step(run, n, 'upgrade', 10_000 + k * 2000),
        step(run, n, 'gate-after', 3000),
      ]),
    ]);
    await writeFile(journal, `${before}${lines.join('\n')}\n`);
    try {
      const r = await runCli(['plan', '-i', c.inventoryPath, '--to', '5.10.5', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const p = planOf(r);
      // median upgrade of 10 s and 12 s = 11 s; soak 30 s + one more gate round
      expect(p.nodes[0].estimate).toMatchObject({
        source: 'history',
        parts: { gateBeforeMs: 2000, backupMs: 4000, upgradeMs: 11_000, gateAfterMs: 3000, soakMs: 33_000 },
      });
      expect(p.estimate.runs).toEqual(['r1', 'r2']);
      expect(p.estimate.totalMs).toBe(3 * (2000 + 4000 + 11_000 + 3000 + 33_000));
    } finally {
      await writeFile(journal, before);
    }
  });
});
