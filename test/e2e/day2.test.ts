// Day-2 commands end to end: the BUILT CLI against a simulated 3-node cluster (real SSH, real MQTT).
// One cluster walks the whole story in order: logs → cleanup refused → recover-boot before the
// restart → rolling restart → recover-boot refused → cleanup → logs timeline + clear.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import {
  cli,
  connectClient,
  emqx,
  ensureBuiltCli,
  events,
  hotUpgrade,
  tuneInventory,
  type WatchedClient,
} from './day2Support.js';

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
const stagedNames = async (i: number) =>
  (await readdir(c.nodes[i].stagingDir)).filter((f) => f.startsWith('emqx-enterprise-')).sort();

// A live run's lock from another bastion (format: rollout/state/lock.ts): never presumed stale.
const FOREIGN = {
  runId: '20250101T000000Z-f00ba4',
  cluster: 'sim',
  command: 'upgrade',
  user: 'alice',
  host: 'bastion-2.example.net',
  pid: 4242,
  startedAt: '2025-01-01T00:00:00.000Z',
};
const lockFile = (i: number) => join(c.nodes[i].stagingDir, '.emqx-rollout.lock');
const foreignLock = () => c.nodes.forEach((_, i) => writeFileSync(lockFile(i), `${JSON.stringify(FOREIGN)}\n`));
/** The last event that is not a log line (the report path is logged after the end). */
const lastNonLog = (ev: ReturnType<typeof events>) => ev.filter((e) => e.type !== 'log').at(-1);
const lastReport = () =>
  JSON.parse(readFileSync(join(dir, '.emqx-rollout', 'sim', 'last-report.json'), 'utf8')) as {
    outcome: string;
    rows: { node: string; outcome: string }[];
  };

/** Lock held by another controller: exit 6, rollout.halted check 'lock' naming the holder, lock untouched. */
function expectLockHeld(r: { code: number; stdout: string; stderr: string }): void {
  expect(r.code, r.stderr).toBe(6);
  const end = lastNonLog(events(r.stdout));
  expect(end).toMatchObject({
    type: 'rollout.halted',
    check: 'lock',
    message: expect.stringContaining('alice@bastion-2.example.net pid 4242'),
  });
  expect((end!.recovery as string[]).join(' ')).toContain('--break-lock');
  for (let i = 0; i < c.nodes.length; i++)
    expect(readFileSync(lockFile(i), 'utf8')).toBe(`${JSON.stringify(FOREIGN)}\n`);
}

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
    const r = await cli(['cleanup', ...inv(), '--tarball', c.tarballPath, '--yes', '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${c.nodes[2].name}: runs 5.10.4`);
    expect(r.stderr).not.toContain(`${c.nodes[0].name}: runs`);
    const ev = events(r.stdout);
    expect(ev.at(-1)).toMatchObject({
      type: 'rollout.halted',
      node: c.nodes[2].name,
      check: 'preflight',
      evidence: [`[not-at-target] ${c.nodes[2].name} runs 5.10.4, not 5.10.5`],
      recovery: [expect.stringContaining('finish the rollout')],
    });
    // the preflight is announced in log lines; no event is keyed on a pseudo-node
    expect(ev.some((e) => e.type === 'log' && /^preflight: observing 3 nodes/.test(String(e.message)))).toBe(true);
    expect(ev.some((e) => e.node === '*')).toBe(false);
    const name = basename(c.tarballPath);
    expect(await stagedNames(0)).toEqual([name, `${name}.sha256`]);
  });

  it('recover-boot before the restart: says what it cannot undo, removes the marker and tree, back on 5.10.4', async () => {
    const n = c.nodes[2];
    await hotUpgrade(c, n);
    expect((await emqx(n, 'ctl', 'relup', 'status')).stdout).toMatch(/^hot-upgraded to 5.10.5/);
    foreignLock();
    expectLockHeld(await cli(['recover-boot', ...inv(), '--node', n.name, '--remove-tree', '--yes', '--json']));
    expect(existsSync(join(n.rootDir, 'relup', 'current'))).toBe(true);
    const r = await cli(['recover-boot', ...inv(), '--node', n.name, '--remove-tree', '--yes', '--break-lock']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('took over the cluster lock from alice@bastion-2.example.net pid 4242');
    for (let i = 0; i < c.nodes.length; i++) expect(existsSync(lockFile(i))).toBe(false);
    expect(lastReport()).toMatchObject({
      outcome: 'done',
      rows: [{ node: n.name, outcome: 'restarted', from: '5.10.5', to: '5.10.4' }],
    });
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
    expect(r.stderr).toMatch(/^report: \S+\.md \(journal: \S+\)\n$/); // nothing else on stderr
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
      if (i + 1 < c.nodes.length)
        expect(done).toBeLessThan(
          idx((e) => e.type === 'step.started' && e.step === 'restart' && e.node === c.nodes[i + 1].name),
        );
      const booted = ev.filter((e) => e.type === 'gate.checked' && e.node === c.nodes[i].name && e.gate === 'booted');
      expect(booted.length).toBeGreaterThan(0);
      expect(booted.every((e) => e.ok === true)).toBe(true);
    }
    expect(ev.at(-1)?.type).toBe('rollout.done'); // the stream ends with the terminal event
    expect(lastNonLog(ev)?.type).toBe('rollout.done');
    expect(ev.some((e) => e.node === '*')).toBe(false);
    expect(
      ev
        .filter((e) => e.type === 'log' && /^preflight (passed|BLOCKED) in /.test(String(e.message)))
        .map((e) => e.message),
    ).toEqual([expect.stringMatching(/^preflight passed in \d+\.\ds$/)]);
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
    const r = await cli(['recover-boot', ...inv(), '--node', n.name, '--yes', '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('already booted from relup/5.10.5/');
    expect(events(r.stdout).at(-1)).toMatchObject({
      type: 'rollout.halted',
      node: n.name,
      check: 'preflight',
      evidence: [expect.stringContaining('[recover-booted-new]')],
      recovery: [expect.stringContaining('full restore')],
    });
    expect(existsSync(join(n.rootDir, 'relup', 'current'))).toBe(true);
    const again = await cli(['restart', ...inv(), '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to do');
    expect(again.stdout).not.toMatch(/restart… /);
  });

  it('cleanup removes the staged tarball and sidecar everywhere once every node runs 5.10.5', async () => {
    foreignLock();
    expectLockHeld(await cli(['cleanup', ...inv(), '--tarball', c.tarballPath, '--yes', '--json']));
    const name = basename(c.tarballPath);
    for (let i = 0; i < c.nodes.length; i++) expect(await stagedNames(i)).toEqual([name, `${name}.sha256`]);

    const r = await cli(['cleanup', ...inv(), '--tarball', c.tarballPath, '--yes', '--json', '--break-lock']);
    expect(r.code, r.stderr).toBe(0);
    const ev = events(r.stdout);
    expect(
      ev
        .filter(
          (e) =>
            e.type === 'log' &&
            e.level === 'warn' &&
            String(e.message).startsWith('took over the cluster lock from alice@'),
        )
        .map((e) => e.node),
    ).toEqual(c.nodes.map((n) => n.name));
    const done = ev.filter((e) => e.type === 'step.finished' && e.step === 'cleanup');
    expect(done.map((e) => [e.node, e.ok, e.message])).toEqual(c.nodes.map((n) => [n.name, true, 'removed 2 files']));
    for (let i = 0; i < c.nodes.length; i++) expect(await stagedNames(i)).toEqual([]);
    for (let i = 0; i < c.nodes.length; i++) expect(existsSync(lockFile(i))).toBe(false);
    const end = lastNonLog(ev) as unknown as { type: string; rows: { node: string; outcome: string }[] };
    expect(end.type).toBe('rollout.done');
    expect(end.rows.map((x) => [x.node, x.outcome])).toEqual(c.nodes.map((n) => [n.name, 'removed']));
    // the report path goes to stderr with --json: stdout ends with the terminal event
    expect(ev.at(-1)?.type).toBe('rollout.done');
    expect(r.stderr).toMatch(/^report: .*report-.*\.md/m);
    expect(lastReport()).toMatchObject({
      outcome: 'done',
      rows: c.nodes.map((n) => ({ node: n.name, outcome: 'removed' })),
    });
    // a second cleanup finds nothing: the nodes stay untouched
    const again = await cli(['cleanup', ...inv(), '--tarball', c.tarballPath, '--yes', '--json']);
    expect(again.code).toBe(0);
    expect(
      (lastNonLog(events(again.stdout)) as unknown as { rows: { outcome: string }[] }).rows.map((x) => x.outcome),
    ).toEqual(['untouched', 'untouched', 'untouched']);
  });

  it('logs: one timeline sorted by start time; --clear on one node clears only that node', async () => {
    const j = await cli(['logs', ...inv(), '--json']);
    expect(j.code).toBe(0);
    const rows = events(j.stdout);
    expect(rows.every((e) => e.type === 'relup.log')).toBe(true);
    // node 3 upgraded twice (before and after recover-boot); nodes 1 and 2 once
    expect(rows.map((e) => e.node).sort()).toEqual(
      [c.nodes[0].name, c.nodes[1].name, c.nodes[2].name, c.nodes[2].name].sort(),
    );
    const starts = rows.map((e) => Date.parse(String(e.started)));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    for (const e of rows)
      expect(e).toMatchObject({ from: '5.10.4', to: '5.10.5', status: 'finished', result: 'success' });
    const text = await cli(['logs', ...inv()]);
    expect(text.stdout.split('\n')[1]).toMatch(/^node\s+started\s+finished\s+from → to\s+status\s+result$/);

    const target = c.nodes[2].name;
    foreignLock();
    expectLockHeld(await cli(['logs', ...inv(), '--node', target, '--clear', '--yes', '--json']));
    expect(events((await cli(['logs', ...inv(), '--json', '--node', target])).stdout)).toHaveLength(2); // nothing cleared
    const clear = await cli(['logs', ...inv(), '--node', target, '--clear', '--yes', '--break-lock']);
    expect(clear.code, clear.stderr).toBe(0);
    expect(clear.stdout).toContain(`${target}: cleared all upgrade logs`);
    expect(clear.stdout).toContain('took over the cluster lock from alice@bastion-2.example.net');
    expect(lastReport()).toMatchObject({ outcome: 'done', rows: [{ node: target, outcome: 'cleared' }] });
    const after = events((await cli(['logs', ...inv(), '--json'])).stdout);
    expect(after.map((e) => e.node).sort()).toEqual([c.nodes[0].name, c.nodes[1].name].sort());
    // --json: the rows, then the run's events, ending with rollout.done
    const j2 = await cli(['logs', ...inv(), '--node', c.nodes[0].name, '--clear', '--yes', '--json']);
    expect(j2.code, j2.stderr).toBe(0);
    const ev = events(j2.stdout);
    expect(ev.map((e) => e.type).filter((t) => t !== 'log')).toEqual([
      'rollout.started',
      'relup.log',
      'logs.cleared',
      'rollout.done',
    ]);
    expect(lastNonLog(ev)).toMatchObject({
      type: 'rollout.done',
      rows: [{ node: c.nodes[0].name, outcome: 'cleared' }],
    });
  });
});
