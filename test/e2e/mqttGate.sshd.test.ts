// The MQTT continuity gate behind REAL OpenSSH sshd: simulated nodes (real aedes listeners that keep
// clients across a hot upgrade) reached through OpenSSH instead of the sim's SSH servers. Each sshd
// listens on its node's own 127.0.0.x (another port), so `host: "{host}"` is the node's listener as
// the node sees it. Node 1 is direct; node 2 is reached only through sshd 1 as a ProxyJump, so its
// probe channel is forwarded by OpenSSH over a jumped connection; node 3 drops its MQTT clients
// during the hop: the gate fails there (exit 4), after passing on nodes 1 and 2.
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { setFaults } from '../../src/sim/faults.js';
import { haveSshd, knownHostsLine, startSshd, type SshdInstance } from '../support/sshd.js';
import { ensureBuilt, explain, runCli, runningVersion } from './support/crashCli.js';

const SSHD = haveSshd();
let cluster: SimCluster | null = null;
let sshds: SshdInstance[] = [];
let dir = '';

beforeAll(() => {
  if (SSHD) ensureBuilt();
});
afterEach(async () => {
  await Promise.all(sshds.map((s) => s.stop()));
  sshds = [];
  await cluster?.stop();
  cluster = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

const yq = (s: string) => JSON.stringify(s);

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

describe.skipIf(!SSHD)('gates.mqtt behind real OpenSSH sshd', () => {
  it('passes on a direct node and a ProxyJump node, fails (exit 4) on the node that drops its clients', async () => {
    dir = await mkdtemp(join(tmpdir(), 'emqx-rollout-e2e-mqtt-sshd-'));
    const hosts = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
    const port = await commonFreePort(hosts);
    cluster = await startSimCluster({ dir, nodes: 3, soakSeconds: 0, mqttPort: port });
    const c = cluster;
    const pub = await readFile(`${c.keyPath}.pub`, 'utf8');
    for (const [i, h] of hosts.entries()) {
      // sshd 1 logs at DEBUG1, which names each direct-tcpip target it forwards to
      sshds.push(
        await startSshd({ host: h, authorizedKeys: pub, ...(i === 0 ? { extraConfig: ['LogLevel DEBUG1'] } : {}) }),
      );
    }
    const knownHosts = join(dir, 'known_hosts.sshd');
    await writeFile(knownHosts, sshds.map((s) => `${knownHostsLine(s.host, s.port, s.hostPublicKey)}\n`).join(''));
    const lines = [
      'cluster: mqtt-sshd',
      'defaults:',
      `  user: ${yq(userInfo().username)}`,
      `  identityFile: ${yq(c.keyPath)}`,
      `  knownHosts: ${yq(knownHosts)}`,
      'nodes:',
    ];
    c.nodes.forEach((n, i) => {
      lines.push(
        `  - name: ${yq(n.name)}`,
        `    host: ${yq(sshds[i].host)}`,
        `    port: ${sshds[i].port}`,
        `    rootDir: ${yq(n.rootDir)}`,
        `    stagingDir: ${yq(n.stagingDir)}`,
        `    backupDir: ${yq(n.backupDir)}`,
      );
      if (i === 1) lines.push(`    jump: ${yq(`${userInfo().username}@${sshds[0].host}:${sshds[0].port}`)}`);
    });
    lines.push('gates:', '  soakSeconds: 1', '  timeoutSeconds: 60', `  mqtt: {host: "{host}", port: ${port}}`, '');
    const inv = join(dir, 'inventory.mqtt-sshd.yaml');
    await writeFile(inv, lines.join('\n'));
    await setFaults(c.nodes[2].rootDir, { dropConnectionsOnUpgrade: true });

    const r = await runCli(['upgrade', '-i', inv, '--tarball', c.tarballPath, '--yes', '--json'], {
      timeoutMs: 150_000,
    });
    expect(r.code, explain(r)).toBe(4);
    const mqtt = (node: string) =>
      r.events.filter((e) => e.type === 'gate.checked' && e.gate === 'mqtt' && e.node === node);
    for (const n of c.nodes.slice(0, 2)) {
      expect(
        mqtt(n.name).map((e) => [e.phase, e.ok]),
        n.name,
      ).toEqual([
        ['before', true],
        ['after', true],
        ['soak', true],
      ]);
      const p = mqtt(n.name)[2].probe as { sent: number; received: number; lost: number; disconnects: number };
      expect(p.sent).toBeGreaterThan(0);
      expect(p).toMatchObject({ received: p.sent, lost: 0, disconnects: 0 });
      expect(runningVersion(n.rootDir)).toBe(c.to);
    }
    const n3 = c.nodes[2].name;
    expect(mqtt(n3).map((e) => [e.phase, e.ok])).toEqual([
      ['before', true],
      ['after', false],
    ]);
    const halted = r.events.find((e) => e.type === 'rollout.halted')!;
    expect(halted).toMatchObject({ node: n3, check: 'gate-after:mqtt' });
    expect(String(halted.message)).toMatch(/the probe client was disconnected/);
    // the probe channels really went through OpenSSH: sshd 1 forwarded to node 1's listener (its
    // own connection) and to sshd 2 (node 2's jump); node 2's probe was forwarded by sshd 2 itself
    const log1 = sshds[0].log();
    expect(log1).toContain(`target ${hosts[0]} port ${port}`);
    expect(log1).toContain(`target ${sshds[1].host} port ${sshds[1].port}`);
    expect(log1).not.toContain(`target ${hosts[1]} port ${port}`);
  }, 200_000);
});
