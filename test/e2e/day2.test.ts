// Day-2 commands end to end: the BUILT CLI against a simulated 3-node cluster (real SSH, real MQTT).
// One cluster walks the whole story in order: logs → cleanup refused → recover-boot before the
// restart → rolling restart → recover-boot refused → cleanup → logs timeline + clear.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { cli, connectClient, emqx, ensureBuiltCli, events, hotUpgrade, tuneInventory, type WatchedClient } from './day2Support.js';

let dir = '';
let c: SimCluster;
const clients: WatchedClient[] = [];

beforeAll(async () => {
  ensureBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'day2-e2e-'));
  c = await startSimCluster({ dir, nodes: 3, hostPrefix: '127.0.6.' });
  await tuneInventory(c, { soakSeconds: 0, timeoutSeconds: 30 });
}, 120_000);

afterAll(async () => {
  for (const w of clients) w.client.end(true);
  await c?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

const inv = () => ['-i', c.inventoryPath];
const stagedNames = async (i: number) => (await readdir(c.nodes[i].stagingDir)).filter((f) => f.startsWith('emqx-enterprise-')).sort();

describe('day-2 commands on a simulated cluster (built CLI)', () => {
  it('logs: no history yet; unknown --node is exit 2 with the known names; --clear off a TTY needs --yes', async () => {
    const r = await cli(['logs', ...inv()]);
    expect(r.code).toBe(0);
    for (const n of c.nodes) expect(r.stdout).toContain(`${n.name}: no upgrade history on this node`);
    const bad = await cli(['logs', ...inv(), '--node', 'emqx@nowhere']);
    expect(bad.code).toBe(2);
    for (const n of c.nodes) expect(bad.stderr).toContain(n.name);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    const clear = await cli(['logs', ...inv(), '--clear']);
    expect(clear.code).toBe(2);
    expect(clear.stderr).toContain('--yes');
  });

  it('cleanup refuses (exit 3) while a node lags, naming it and what it runs; nothing is removed', async () => {
    await hotUpgrade(c, c.nodes[0]);
    await hotUpgrade(c, c.nodes[1]);
    const r = await cli(['cleanup', ...inv(), '--tarball', c.tarballPath, '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${c.nodes[2].name}: runs 5.10.4`);
    expect(r.stderr).not.toContain(`${c.nodes[0].name}: runs`);
    const name = basename(c.tarballPath);
    expect(await stagedNames(0)).toEqual([name, `${name}.sha256`]);
  });

  it('recover-boot before the restart: says what it cannot undo, removes the marker and tree, back on 5.10.4', async () => {
    const n = c.nodes[2];
    await hotUpgrade(c, n);
    expect((await emqx(n, 'ctl', 'relup', 'status')).stdout).toMatch(/^hot-upgraded to 5.10.5/);
    const r = await cli(['recover-boot', ...inv(), '--node', n.name, '--remove-tree', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cannot undo/);
    expect(r.stdout).toMatch(/live state changes made by the hot upgrade/);
    expect(r.stdout).toMatch(/data written since the hop/);
    expect(r.stdout).toMatch(/no backup of .* is recorded/);
    expect((await emqx(n, 'ctl', 'status')).stdout).toBe(`Node '${n.name}' 5.10.4 is started\n`);
    expect((await emqx(n, 'ctl', 'relup', 'status')).stdout).toBe('idle\n');
    expect(existsSync(join(n.rootDir, 'relup', 'current'))).toBe(false);
    expect(existsSync(join(n.rootDir, 'relup', '5.10.5'))).toBe(false);
    // and the hop can be applied again afterwards
    await hotUpgrade(c, n);
  });

  it('restart: one node at a time into relup/5.10.5/, gated; MQTT clients of each node dropped', async () => {
    for (const [i, n] of c.nodes.entries()) clients.push(await connectClient(n, `day2-e2e-${i}`));
    const t0 = Date.now();
    const r = await cli(['restart', ...inv(), '--yes', '--json'], 90_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    const idx = (pred: (e: (typeof ev)[number]) => boolean) => ev.findIndex(pred);
    // serial: node i is done before node i+1's restart starts
    for (let i = 0; i < c.nodes.length; i++) {
      const started = idx((e) => e.type === 'step.started' && e.step === 'restart' && e.node === c.nodes[i].name);
      const done = idx((e) => e.type === 'node.done' && e.node === c.nodes[i].name);
      expect(started).toBeGreaterThan(-1);
      expect(done).toBeGreaterThan(started);
      expect(ev[done]).toMatchObject({ outcome: 'restarted', to: '5.10.5' });
      if (i + 1 < c.nodes.length) expect(done).toBeLessThan(idx((e) => e.type === 'step.started' && e.step === 'restart' && e.node === c.nodes[i + 1].name));
      const booted = ev.filter((e) => e.type === 'gate.checked' && e.node === c.nodes[i].name && e.gate === 'booted');
      expect(booted.length).toBeGreaterThan(0);
      expect(booted.every((e) => e.ok === true)).toBe(true);
    }
    expect(ev.at(-2)?.type).toBe('rollout.done');
    for (const e of ev) expect(typeof e.ts).toBe('string');
    for (const n of c.nodes) {
      expect((await emqx(n, 'ctl', 'status')).stdout).toBe(`Node '${n.name}' 5.10.5 is started\n`);
      expect((await emqx(n, 'ctl', 'relup', 'status')).stdout).toBe('idle\n');
      const up = /uptime\s*: (\d+) seconds?/.exec((await emqx(n, 'ctl', 'broker')).stdout);
      expect(Number(up?.[1] ?? 1e9)).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / 1000));
    }
    for (const w of clients) expect(w.closed).toBe(true);
    expect(existsSync(join(dir, '.emqx-rollout', 'sim', 'last-report.md'))).toBe(true);
    // the lock was released on every node
    for (const n of c.nodes) expect(existsSync(join(n.stagingDir, '.emqx-rollout.lock'))).toBe(false);
  }, 120_000);

  it('after the restart: recover-boot is refused (exit 3) and restart has nothing left to do', async () => {
    const n = c.nodes[0];
    const r = await cli(['recover-boot', ...inv(), '--node', n.name, '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('already booted from relup/5.10.5/');
    expect(existsSync(join(n.rootDir, 'relup', 'current'))).toBe(true);
    const again = await cli(['restart', ...inv(), '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to do');
    expect(again.stdout).not.toMatch(/restart… /);
  });

  it('cleanup removes the staged tarball and sidecar everywhere once every node runs 5.10.5', async () => {
    const r = await cli(['cleanup', ...inv(), '--tarball', c.tarballPath, '--yes', '--json']);
    expect(r.code).toBe(0);
    const done = events(r.stdout).filter((e) => e.type === 'step.finished' && e.step === 'cleanup');
    expect(done.map((e) => [e.node, e.ok, e.message])).toEqual(c.nodes.map((n) => [n.name, true, 'removed 2 files']));
    for (let i = 0; i < c.nodes.length; i++) expect(await stagedNames(i)).toEqual([]);
  });

  it('logs: one timeline sorted by start time; --clear on one node clears only that node', async () => {
    const j = await cli(['logs', ...inv(), '--json']);
    expect(j.code).toBe(0);
    const rows = events(j.stdout);
    expect(rows.every((e) => e.type === 'relup.log')).toBe(true);
    // node 3 upgraded twice (before and after recover-boot); nodes 1 and 2 once
    expect(rows.map((e) => e.node).sort()).toEqual([c.nodes[0].name, c.nodes[1].name, c.nodes[2].name, c.nodes[2].name].sort());
    const starts = rows.map((e) => Date.parse(String(e.started)));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    for (const e of rows) expect(e).toMatchObject({ from: '5.10.4', to: '5.10.5', status: 'finished', result: 'success' });
    const text = await cli(['logs', ...inv()]);
    expect(text.stdout.split('\n')[1]).toMatch(/^node\s+started\s+finished\s+from → to\s+status\s+result$/);

    const target = c.nodes[2].name;
    const clear = await cli(['logs', ...inv(), '--node', target, '--clear', '--yes']);
    expect(clear.code).toBe(0);
    expect(clear.stdout).toContain(`${target}: cleared all upgrade logs`);
    const after = events((await cli(['logs', ...inv(), '--json'])).stdout);
    expect(after.map((e) => e.node).sort()).toEqual([c.nodes[0].name, c.nodes[1].name].sort());
  });
});
