// Approvals end to end on the built CLI: `upgrade --pause-after 1 --await-approval` holds the lock
// and waits; `approve -i INV` from a second process continues it (exit 0), `--reject` ends it
// paused (exit 5), and without a decision the time runs out (exit 5). `approve` with nothing
// waiting exits 2. A recording webhook and a command hook see the awaiting and approved events.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../notify/receivers.js';
import { startCli } from './support/background.js';
import { runCli, upgradeArgs } from './support/cli.js';
import { runningVersion, startCluster, type E2eCluster } from './support/cluster.js';
import { readJournal } from './support/journal.js';

// The machine running the suite may be shared and loaded: a run here can take a minute.
describe('approvals', { timeout: 180_000 }, () => {
  let a: E2eCluster; // 2 nodes: approved, with notifications
  let b: E2eCluster; // 3 nodes: timed out, then rejected
  let hook: Receiver;
  let hookOut: string;
  beforeAll(async () => {
    [a, b, hook] = await Promise.all([
      startCluster('approve', { nodes: 2 }),
      startCluster('reject', { nodes: 3 }),
      startReceiver(),
    ]);
    hookOut = join(dirname(a.inventoryPath), 'hook.out');
    await writeFile(
      a.inventoryPath,
      `${await readFile(a.inventoryPath, 'utf8')}notify:\n  - webhook: ${hook.url}\n    events: [rollout.awaiting-approval, rollout.approved, rollout.done]\n  - command: cat >> '${hookOut}'\n`,
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy(), hook?.close()]);
  });

  it('approve with no run waiting: exit 2 and a clear message', async () => {
    const r = await runCli(['approve', '-i', a.inventoryPath]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('no run of cluster sim is waiting for approval');
    expect(r.stderr).toContain('--await-approval');
  });

  it('--await-approval waits holding the lock; `approve` from a second process continues it (exit 0)', async () => {
    const run = startCli(upgradeArgs(a.inventoryPath, a.tarballPath, '--pause-after', '1', '--await-approval', '60'));
    const awaiting = await run.waitForEvent('rollout.awaiting-approval');
    expect(awaiting).toMatchObject({
      upgraded: 1,
      done: 1,
      total: 2,
      remaining: 1,
      nextNode: a.nodes[1].name,
      via: 'command',
    });
    const deadline = Date.parse(awaiting.deadline as string) - Date.parse(awaiting.ts);
    expect(deadline).toBeGreaterThan(59_000);
    expect(deadline).toBeLessThanOrEqual(60_000);
    expect(awaiting.hint).toContain(`emqx-rollout approve -i ${a.inventoryPath}`);
    // holding the lock: a second upgrade is refused (exit 6) while it waits
    const second = await runCli(upgradeArgs(a.inventoryPath, a.tarballPath));
    expect(second.code, second.stderr).toBe(6);
    expect(await runningVersion(a.nodes[1])).toBe('5.10.4');

    const ok = await runCli(['approve', '-i', a.inventoryPath]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      new RegExp(`approved: run ${awaiting.runId} continues with ${a.nodes[1].name} \\(by .+@.+\\)`),
    );
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const ev = r.events;
    const approved = ev.find((e) => e.type === 'rollout.approved');
    expect(approved?.by).toMatch(/^.+@.+$/);
    expect(ev.map((e) => e.type).filter((t) => t.startsWith('rollout.'))).toEqual([
      'rollout.started',
      'rollout.awaiting-approval',
      'rollout.approved',
      'rollout.done',
    ]);
    expect(ev.filter((e) => e.type === 'node.done').map((e) => e.node)).toEqual([a.nodes[0].name, a.nodes[1].name]);
    // journaled with who approved
    const j = (await readJournal(a.inventoryPath)).filter((l) => l.runId === awaiting.runId);
    expect(j.find((l) => l.kind === 'approval')).toMatchObject({
      decision: 'approved',
      by: approved?.by,
      nextNode: a.nodes[1].name,
    });
    // the run's records are gone: nothing waits any more
    const after = await runCli(['approve', '-i', a.inventoryPath]);
    expect(after.code).toBe(2);
    // the receivers heard about it
    expect(hook.received.map((x) => (x.body as { type: string }).type)).toEqual([
      'rollout.awaiting-approval',
      'rollout.approved',
      'rollout.done',
    ]);
    const hooked = (await readFile(hookOut, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    // …including the second controller's refused attempt (exit 6) while the first one waited
    expect(hooked).toEqual([
      'rollout.started',
      'node.done',
      'rollout.awaiting-approval',
      'rollout.started',
      'rollout.halted',
      'node.done',
      'rollout.done',
    ]);
    expect(j.filter((l) => l.kind === 'notify' && l.ok === true)).toHaveLength(8);
  });

  it('without a decision the time runs out: exit 5, paused, the lock released', async () => {
    const r = await runCli(upgradeArgs(b.inventoryPath, b.tarballPath, '--pause-after', '1', '--await-approval', '1'));
    expect(r.code, r.stderr).toBe(5);
    const ev = r.events();
    expect(ev.find((e) => e.type === 'rollout.awaiting-approval')?.nextNode).toBe(b.nodes[1].name);
    const last = ev[ev.length - 1];
    expect(last).toMatchObject({ type: 'rollout.paused', nextNode: b.nodes[1].name });
    expect(last.reason).toMatch(/no approval within 1s/);
    expect(r.stderr).toContain('paused');
    expect(await runningVersion(b.nodes[1])).toBe('5.10.4');
    const j = await readJournal(b.inventoryPath);
    expect(j.find((l) => l.kind === 'approval' && l.decision === 'timed-out')).toBeTruthy();
    const none = await runCli(['approve', '-i', b.inventoryPath]);
    expect(none.code).toBe(2);
  });

  it('`approve --reject` ends the waiting run paused (exit 5); nothing more is upgraded', async () => {
    const run = startCli(upgradeArgs(b.inventoryPath, b.tarballPath, '--pause-after', '1', '--await-approval', '60'));
    const awaiting = await run.waitForEvent('rollout.awaiting-approval');
    expect(awaiting).toMatchObject({ upgraded: 1, done: 2, total: 3, remaining: 1, nextNode: b.nodes[2].name });
    const rej = await runCli(['approve', '-i', b.inventoryPath, '--reject']);
    expect(rej.code, rej.stderr).toBe(0);
    expect(rej.stdout).toContain(`rejected: run ${awaiting.runId} stops before ${b.nodes[2].name}`);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(5);
    const types = r.events.map((e) => e.type).filter((t) => t.startsWith('rollout.'));
    expect(types).toEqual(['rollout.started', 'rollout.awaiting-approval', 'rollout.rejected', 'rollout.paused']);
    expect(r.events.find((e) => e.type === 'rollout.rejected')?.by).toMatch(/^.+@.+$/);
    expect(await runningVersion(b.nodes[2])).toBe('5.10.4');
    const j = (await readJournal(b.inventoryPath)).filter((l) => l.runId === awaiting.runId);
    expect(j.find((l) => l.kind === 'approval')).toMatchObject({ decision: 'rejected', nextNode: b.nodes[2].name });
    expect(j.find((l) => l.kind === 'run.end')?.outcome).toBe('paused');
  });

  it('--await-approval without --pause-after is bad input (exit 2)', async () => {
    const r = await runCli(upgradeArgs(b.inventoryPath, b.tarballPath, '--await-approval', '5'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--await-approval needs --pause-after N');
  });
});
