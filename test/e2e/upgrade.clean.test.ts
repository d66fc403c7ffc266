// A clean 3-node rollout through the built CLI: exit 0, every node at the target, strictly serial,
// a verified backup per node, NDJSON on stdout, and a re-run that changes nothing.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, upgradeArgs, type CliEvent, type CliRun } from './support/cli.js';
import { ctl, relupLogs, run, runningVersion, startCluster, type E2eCluster } from './support/cluster.js';
import { readJournal, ofRun } from './support/journal.js';
import { attachClients, type Clients } from './support/mqtt.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

describe('upgrade: clean 3-node rollout', () => {
  let c: E2eCluster;
  let clients: Clients;
  let first: CliRun;
  let events: CliEvent[];

  beforeAll(async () => {
    // soak 1 s keeps the soak round (gates checked twice) on the path under test
    c = await startCluster('clean', { gates: { soakSeconds: 1, timeoutSeconds: 60 } });
    // 12 real MQTT clients on node 2: a hot upgrade must keep every one of them
    clients = await attachClients(c.nodes[1].host, c.nodes[1].mqttPort, 12, 'clean');
    first = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    events = first.events();
  }, 120_000);

  afterAll(async () => {
    await clients?.end();
    await c?.destroy();
  });

  it('exits 0 and every node reports the target version', async () => {
    expect(first.code, first.stderr).toBe(0);
    const status = await runCli(['status', '-i', c.inventoryPath, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const rows = status.events().filter((e) => e.type === 'node.status');
    expect(rows.map((r) => [r.node, r.version, r.running])).toEqual(c.nodes.map((n) => [n.name, c.to, true]));
    // and from the nodes themselves, not only through our own status command
    for (const n of c.nodes) expect(await runningVersion(n)).toBe(c.to);
  });

  it('writes NDJSON: every line has an ISO 8601 ts and a type, and the contract types appear', () => {
    expect(first.stdout.trim().split('\n').length).toBe(events.length);
    for (const e of events) {
      expect(e.ts).toMatch(ISO);
      expect(Number.isNaN(Date.parse(e.ts))).toBe(false);
      expect(typeof e.type).toBe('string');
    }
    const types = new Set(events.map((e) => e.type));
    for (const t of [
      'rollout.started',
      'plan.ready',
      'stage.progress',
      'step.started',
      'step.finished',
      'gate.checked',
      'node.done',
      'rollout.done',
    ]) {
      expect(types, t).toContain(t);
    }
    // events naming a node name one of ours (or '*' for cluster-wide steps)
    const names = new Set([...c.nodes.map((n) => n.name), '*']);
    for (const e of events) if (e.node !== undefined) expect(names).toContain(e.node);
    expect(events[0].type).toBe('rollout.started');
    expect(events.filter((e) => e.type === 'node.done').map((e) => e.node)).toEqual(c.nodes.map((n) => n.name));
  });

  it('upgrades strictly one node at a time (relup log rows and journal order)', async () => {
    const rows = [];
    for (const n of c.nodes) {
      const r = await relupLogs(n);
      expect(r, n.name).toHaveLength(1);
      expect(r[0].line).toMatch(/status=finished result=success$/);
      rows.push({ node: n.name, ...r[0] });
    }
    // the nodes' own clocks: each hop finished before the next one started
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i - 1].finished, `${rows[i - 1].node} finished`).not.toBeNull();
      expect(rows[i - 1].finished!, `${rows[i - 1].node} finished before ${rows[i].node} started`).toBeLessThanOrEqual(
        rows[i].started,
      );
    }
    // the journal: begin/end strictly alternate in inventory order, and a node is done before the next begins
    const runId = events[0].runId as string;
    const j = ofRun(await readJournal(c.inventoryPath), runId);
    const seq = j
      .filter(
        (l) => l.kind === 'upgrade.begin' || l.kind === 'upgrade.end' || (l.kind === 'event' && l.type === 'node.done'),
      )
      .map((l) => `${l.kind === 'event' ? 'done' : l.kind.slice('upgrade.'.length)}:${l.node}`);
    expect(seq).toEqual(c.nodes.flatMap((n) => [`begin:${n.name}`, `end:${n.name}`, `done:${n.name}`]));
    expect(j.filter((l) => l.kind === 'upgrade.end').map((l) => l.verdict)).toEqual([
      'complete',
      'complete',
      'complete',
    ]);
  });

  it('leaves one verified backup archive of data/ etc/ log/ per node', async () => {
    for (const n of c.nodes) {
      const files = (await readdir(n.backupDir)).filter((f) => f.endsWith('.tar.gz'));
      expect(files, n.name).toHaveLength(1);
      expect(files[0]).toContain(`-${c.from}-`);
      const t = await run('tar', ['-tzf', join(n.backupDir, files[0])]);
      expect(t.code, t.stderr).toBe(0);
      const tops = new Set(
        t.stdout
          .split('\n')
          .filter(Boolean)
          .map((p) => p.split('/')[0]),
      );
      expect([...tops].sort()).toEqual(['data', 'etc', 'log']);
    }
  });

  it('keeps the MQTT connections through the hot upgrade (connections gate on real clients)', () => {
    expect(clients.connected()).toBe(12);
    const done = events.find((e) => e.type === 'node.done' && e.node === c.nodes[1].name)!;
    expect(done.connectionsBefore).toBeGreaterThanOrEqual(12);
    expect(done.connectionsAfter).toBeGreaterThanOrEqual(12);
    const gates = events.filter(
      (e) => e.type === 'gate.checked' && e.node === c.nodes[1].name && e.gate === 'connections',
    );
    expect(gates.map((g) => [g.phase, g.ok])).toEqual([
      ['after', true],
      ['soak', true],
    ]);
  });

  it('a re-run is a no-op: every node skipped, exit 0, nothing new on any node', async () => {
    const before = await Promise.all(
      c.nodes.map(async (n) => ({ logs: (await relupLogs(n)).length, backups: (await readdir(n.backupDir)).length })),
    );
    const again = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(again.code, again.stderr).toBe(0);
    const ev = again.events();
    const done = ev.find((e) => e.type === 'rollout.done') as
      { rows: Array<{ node: string; outcome: string }> } | undefined;
    expect(done?.rows.map((r) => [r.node, r.outcome])).toEqual(c.nodes.map((n) => [n.name, 'skipped']));
    expect(ev.filter((e) => e.type === 'step.started' && e.node !== '*')).toEqual([]);
    const runId = ev[0].runId as string;
    const j = ofRun(await readJournal(c.inventoryPath), runId);
    expect(j.filter((l) => l.kind === 'upgrade.begin' || l.kind === 'backup')).toEqual([]);
    const after = await Promise.all(
      c.nodes.map(async (n) => ({ logs: (await relupLogs(n)).length, backups: (await readdir(n.backupDir)).length })),
    );
    expect(after).toEqual(before);
    expect((await ctl(c.nodes[0], 'relup', 'status')).stdout).toContain(c.to);
  });
});
