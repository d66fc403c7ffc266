// `--pause-after` and the maintenance window: both pause with exit 5 at a node boundary, and a plain
// re-run continues where the cluster is (nodes at the target are skipped, not re-upgraded).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';

const CLI = resolve(__dirname, '../../dist/cli/main.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, CI: 'true' }, timeout: 120_000 },
      (err, stdout, stderr) => {
        res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; node?: string; [k: string]: unknown });

describe('pausing', () => {
  let dir: string;
  let c: SimCluster;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'erl-pause-'));
    c = await startSimCluster({ dir, nodes: 3, soakSeconds: 0 });
  });
  afterAll(async () => {
    await c?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a window that is closed now pauses before anything is written to a node (exit 5)', async () => {
    // A window on a day that is never today: every day but today's weekday in UTC… simplest: a
    // 1-minute window 12 hours away from now.
    const now = new Date();
    const start = (now.getUTCHours() * 60 + now.getUTCMinutes() + 12 * 60) % (24 * 60);
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const win = `mon,tue,wed,thu,fri,sat,sun ${hhmm(start)}-${hhmm((start + 1) % (24 * 60))} UTC`;
    const r = await cli([
      'upgrade',
      '-i',
      c.inventoryPath,
      '--tarball',
      c.tarballPath,
      '--yes',
      '--json',
      '--window',
      win,
    ]);
    expect(r.code, r.stderr).toBe(5);
    const ev = events(r.stdout);
    const paused = ev.find((e) => e.type === 'rollout.paused');
    expect(paused?.reason).toMatch(/maintenance window/);
    expect(paused?.nextNode).toBe(c.nodes[0].name);
    expect(ev.filter((e) => e.type === 'step.started' && e.step === 'upgrade')).toHaveLength(0);
    // outside the window not even the lock or the staged tarball lands
    expect(ev.filter((e) => e.type === 'stage.progress')).toHaveLength(0);
    for (const n of c.nodes) expect(existsSync(n.stagingDir) ? readdirSync(n.stagingDir) : []).toEqual([]);
  });

  it('--pause-after 1 upgrades one node, exits 5; a re-run finishes the rest without touching the first again', async () => {
    const r1 = await cli([
      'upgrade',
      '-i',
      c.inventoryPath,
      '--tarball',
      c.tarballPath,
      '--yes',
      '--json',
      '--pause-after',
      '1',
    ]);
    expect(r1.code, r1.stderr).toBe(5);
    const e1 = events(r1.stdout);
    expect(e1.filter((e) => e.type === 'node.done').map((e) => e.node)).toEqual([c.nodes[0].name]);
    expect(e1.find((e) => e.type === 'rollout.paused')?.nextNode).toBe(c.nodes[1].name);

    const r2 = await cli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--yes', '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    const e2 = events(r2.stdout);
    expect(e2.filter((e) => e.type === 'node.done').map((e) => e.node)).toEqual([c.nodes[1].name, c.nodes[2].name]);
    expect(e2.find((e) => e.type === 'preflight.finding' && e.code === 'already-at-target')?.node).toBe(
      c.nodes[0].name,
    );
    // node 1 was upgraded exactly once: one success row in its relup log
    const logs = await new Promise<string>((res, rej) =>
      execFile(join(c.nodes[0].rootDir, 'bin/emqx'), ['ctl', 'relup', 'logs'], (e, out) => (e ? rej(e) : res(out))),
    );
    expect(logs.split('\n').filter((l) => /result=success$/.test(l))).toHaveLength(1);
  });
});
