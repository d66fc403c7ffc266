// SIGTERM during a rolling restart, while the restarted node is still down: the aborted gate reads
// come back empty and must not be judged ("not running" → a false halt, exit 4). Exit 130 with a
// final rollout.paused that says what state the node may be in; the lock is released; a re-run
// after the node came back finds nothing left to do.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { startCli } from './support/crashCli.js';
import { cli, emqx, ensureBuiltCli, events, hotUpgrade, tuneInventory } from './day2Support.js';

let dir = '';
let c: SimCluster;
// Stops the node and starts it again 4 s later in the background: the command itself returns at
// once, so the run is polling the gates of a down node when the SIGTERM arrives.
const SLOW_START = '{rootDir}/bin/emqx stop && { ( sleep 4; {rootDir}/bin/emqx start ) </dev/null >/dev/null 2>&1 & }';

beforeAll(async () => {
  ensureBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'day2-abort-'));
  c = await startSimCluster({ dir, nodes: 3, hostPrefix: '127.0.8.' });
  await tuneInventory(c, { soakSeconds: 0, timeoutSeconds: 30, restartCommand: SLOW_START });
  await hotUpgrade(c, c.nodes[0]);
}, 120_000);

afterAll(async () => {
  await c?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('restart interrupted by SIGTERM', () => {
  it("exit 130, rollout.paused naming the node's possible state, no halt; lock released; a re-run skips the node", async () => {
    const n1 = c.nodes[0];
    const run = startCli(['restart', '-i', c.inventoryPath, '--yes', '--json']);
    await run.waitFor(
      (e) =>
        e.type === 'log' && e.node === n1.name && String(e.message).startsWith(`waiting for ${n1.name} to come back`),
      30_000,
      'gate polling of the restarted node',
    );
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    const nonLog = r.events.filter((e) => e.type !== 'log'); // the report path is logged after the end
    expect(nonLog.map((e) => e.type)).not.toContain('rollout.halted');
    const last = nonLog.at(-1)!;
    expect(last.type).toBe('rollout.paused');
    expect(String(last.reason)).toMatch(/^terminated \(SIGTERM\)/);
    expect(String(last.reason)).toContain(`${n1.name} was restarted but had not passed its gates yet — check it`);
    expect(r.stderr).toMatch(/^emqx-rollout: interrupted: /m);
    expect(r.stderr).not.toMatch(/HALTED|is not running/);
    expect(r.events.some((e) => e.type === 'node.done')).toBe(false);
    for (const n of c.nodes) expect(existsSync(join(n.stagingDir, '.emqx-rollout.lock')), n.name).toBe(false);
    const report = JSON.parse(readFileSync(join(dir, '.emqx-rollout', 'sim', 'last-report.json'), 'utf8')) as {
      outcome: string;
    };
    expect(report.outcome).toBe('interrupted');

    // The restart itself went on without us: once the node is back, there is nothing left to do.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(await emqx(n1, 'ctl', 'status')).stdout.includes('is started'))
      await new Promise((res) => setTimeout(res, 500));
    const again = await cli(['restart', '-i', c.inventoryPath, '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const ev = events(again.stdout);
    const done = ev.find((e) => e.type === 'rollout.done') as { rows: { node: string; outcome: string }[] } | undefined;
    expect(done?.rows.map((x) => [x.node, x.outcome])).toEqual(c.nodes.map((n) => [n.name, 'skipped']));
  }, 120_000);
});
