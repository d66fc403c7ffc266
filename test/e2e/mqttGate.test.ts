// The MQTT continuity gate end to end: the built CLI's probe client reaches each simulated node's
// real (aedes) MQTT listener through a forwarded channel of its own SSH connection, across the hot
// upgrade, the gates and the soak. It passes on a clean hop and halts (exit 4) when the node drops
// its clients during the hop (fault dropConnectionsOnUpgrade).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, upgradeArgs, type CliEvent } from './support/cli.js';
import { footprint, relupLogs, runningVersion, startCluster, type E2eCluster } from './support/cluster.js';
import { expectHaltedAtNode2 } from './support/halt.js';
import { journalPath } from './support/journal.js';

let c: E2eCluster | undefined;
afterEach(async () => {
  await c?.destroy();
  c = undefined;
});

/** One port free on every node address (each sim node binds its own 127.0.0.x). */
async function commonFreePort(hosts: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const ok = await Promise.all(
      hosts.map(
        (h) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(port, h, () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return port;
  }
  throw new Error('no common free port');
}

const HOSTS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
type Probe = {
  sent: number;
  acked: number;
  received: number;
  lost: number;
  pending: number;
  duplicates: number;
  outOfOrder: number;
  disconnects: number;
};
const mqttGates = (ev: CliEvent[], node: string) =>
  ev.filter((e) => e.type === 'gate.checked' && e.gate === 'mqtt' && e.node === node);

describe('gates.mqtt over SSH on a simulated cluster', () => {
  it('passes across a hot upgrade: every probe back once, in order, no disconnect; the password stays secret', async () => {
    const port = await commonFreePort(HOSTS.slice(0, 2));
    c = await startCluster('mqttok', { nodes: 2, mqttPort: port });
    await c.setGates({
      soakSeconds: 1,
      timeoutSeconds: 60,
      mqtt: { host: '{host}', port, username: 'rollout-probe', passwordEnv: 'E2E_PROBE_PW' },
    });
    const secret = `pw-${process.pid}-s3cr3t`;
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath), { env: { E2E_PROBE_PW: secret } });
    expect(r.code, r.stderr).toBe(0);
    const ev = r.events();
    for (const n of c.nodes) {
      const g = mqttGates(ev, n.name);
      expect(
        g.map((e) => [e.phase, e.ok]),
        n.name,
      ).toEqual([
        ['before', true],
        ['after', true],
        ['soak', true],
      ]);
      expect(g[0].message).toContain(`probe connected to ${n.host}:${port} through SSH`);
      const p = g[2].probe as Probe;
      // at 5 probes/s across backup + relup + gates + 1 s soak: several seconds' worth
      expect(p.sent).toBeGreaterThanOrEqual(5);
      expect(p).toMatchObject({
        received: p.sent,
        acked: p.sent,
        lost: 0,
        pending: 0,
        duplicates: 0,
        outOfOrder: 0,
        disconnects: 0,
      });
      expect(g[2].message).toMatch(new RegExp(`^${p.sent}/${p.sent} probes received once and in order, no disconnect`));
      expect((g[1].probe as Probe).disconnects).toBe(0);
      expect(await runningVersion(n)).toBe(c.to);
    }
    const journal = await readFile(journalPath(c.inventoryPath), 'utf8');
    expect(journal).toContain('"kind":"mqtt.probe"');
    expect(journal).toContain('"kind":"tunnel"');
    for (const text of [r.stdout, r.stderr, journal]) expect(text).not.toContain(secret);
  }, 180_000);

  it('FAILS when the node drops its clients during the hop → exit 4 at gate-after:mqtt, node 3 untouched', async () => {
    const port = await commonFreePort(HOSTS);
    c = await startCluster('mqttdrop', { mqttPort: port });
    await c.setGates({ soakSeconds: 1, timeoutSeconds: 60, mqtt: { host: '{host}', port } });
    await c.setFaults(2, { dropConnectionsOnUpgrade: true });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    // Too few clients for the connections ratio gate (it judges from 10 up): only the probe sees it.
    const h = await expectHaltedAtNode2(c, r, {
      check: 'gate-after:mqtt',
      evidence: /probe connection closed at \+[\d.]+s after \d+ probes/,
      recovery: /WAS applied/,
      node2At: 'to',
    });
    expect(h.message).toMatch(/MQTT continuity: the probe client was disconnected/);
    const g = mqttGates(r.events(), c.nodes[1].name);
    expect(g.map((e) => [e.phase, e.ok])).toEqual([
      ['before', true],
      ['after', false],
    ]);
    expect((g[1].probe as Probe).disconnects).toBe(1);
    expect(mqttGates(r.events(), c.nodes[0].name).map((e) => e.ok)).toEqual([true, true, true]);
  }, 180_000);

  it('a listener the probe cannot reach halts BEFORE the hop (gate-before:mqtt): nothing changed on the node', async () => {
    const port = await commonFreePort(HOSTS.slice(0, 2));
    c = await startCluster('mqttnone', { nodes: 2 });
    await c.setGates({ soakSeconds: 0, timeoutSeconds: 60, mqtt: { host: '{host}', port } }); // nothing listens there
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(r.code, r.stderr).toBe(4);
    const h = r.events().find((e) => e.type === 'rollout.halted')!;
    expect(h).toMatchObject({ node: c.nodes[0].name, check: 'gate-before:mqtt' });
    expect(h.message).toMatch(/MQTT probe could not start: .*forwarded channel to 127\.0\.0\.11:\d+/);
    const [fp, logs] = await Promise.all([footprint(c.nodes[0]), relupLogs(c.nodes[0])]);
    expect(fp.backups).toEqual([]);
    expect(logs).toEqual([]);
  }, 120_000);

  it('passwordEnv naming an unset variable is bad input (exit 2), before any node is touched', async () => {
    c = await startCluster('mqttenv', { nodes: 1 });
    await c.setGates({ soakSeconds: 0, mqtt: { username: 'probe', passwordEnv: 'E2E_UNSET_PROBE_PW' } });
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath), { env: { E2E_UNSET_PROBE_PW: '' } });
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toContain('gates.mqtt.passwordEnv names E2E_UNSET_PROBE_PW, which is not set in the environment');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect((await footprint(c.nodes[0])).staging).toEqual([]);
  }, 120_000);
});
