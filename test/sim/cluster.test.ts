// A 3-node simulated cluster reached through real OpenSSH (`ssh` client → in-process SSH
// servers), with real MQTT clients: a hot upgrade keeps connections; stop/start drops them and
// boots from relup/<T>/; a crash during code changes restarts the "VM"; diskFull via `df -Pk`.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster, type SimClusterNode } from '../../src/sim/cluster.js';
import { clearFaults, setFaults } from '../../src/sim/faults.js';
import { ensureBuilt, ssh } from './helpers.js';

let dir: string;
let c: SimCluster;
const on = (n: SimClusterNode, cmd: string) =>
  ssh({ key: c.keyPath, knownHosts: c.knownHostsPath, port: n.sshPort, user: c.user, host: n.host }, cmd);
const bin = (n: SimClusterNode) => `${n.rootDir}/bin/emqx`;

function connect(n: SimClusterNode, id: string): Promise<MqttClient> {
  return new Promise((res, rej) => {
    const cl = mqtt.connect({ host: n.host, port: n.mqttPort, clientId: id, reconnectPeriod: 0, connectTimeout: 5000 });
    cl.once('connect', () => res(cl));
    cl.once('error', rej);
  });
}
const closed = (cl: MqttClient): Promise<void> =>
  new Promise((r) => (cl.connected ? cl.once('close', () => r()) : r()));

async function roundTrip(pub: MqttClient, sub: MqttClient, topic: string, payload: string): Promise<string> {
  const got = new Promise<string>((r) => sub.once('message', (_t, m) => r(m.toString())));
  await pub.publishAsync(topic, payload, { qos: 1 });
  return got;
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sim-cluster-'));
  c = await startSimCluster({ dir, nodes: 3 });
});

afterAll(async () => {
  await c?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('startSimCluster', () => {
  it('writes an inventory in the PRODUCT.md format and a known_hosts OpenSSH accepts', async () => {
    const inv = parse(await readFile(c.inventoryPath, 'utf8'));
    expect(inv.cluster).toBe('sim');
    expect(inv.defaults).toMatchObject({ user: c.user, identityFile: c.keyPath, knownHosts: c.knownHostsPath });
    expect(inv.gates).toEqual({ soakSeconds: 1, timeoutSeconds: 120 });
    expect(inv.nodes.map((n: { name: string }) => n.name)).toEqual([
      'emqx@127.0.0.11',
      'emqx@127.0.0.12',
      'emqx@127.0.0.13',
    ]);
    expect(inv.nodes[0]).toMatchObject({ host: '127.0.0.11', port: c.nodes[0].sshPort, rootDir: c.nodes[0].rootDir });
    expect((await readFile(c.knownHostsPath, 'utf8')).split('\n')[0]).toMatch(
      /^\[127\.0\.0\.11\]:\d+ ssh-ed25519 AAAA\S+$/,
    );
    const r = await on(c.nodes[0], `${bin(c.nodes[0])} ctl cluster status --json`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '{\n  "stopped_nodes" : [\n    \n  ],\n  "running_nodes" : [\n    "emqx@127.0.0.11",\n    "emqx@127.0.0.12",\n    "emqx@127.0.0.13"\n  ]\n}\n',
    );
    expect(await readFile(c.sidecarPath, 'utf8')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('MQTT clients survive a hot upgrade over SSH and are dropped by stop/start into relup/<T>/', async () => {
    const n = c.nodes[0];
    const sub = await connect(n, 'sub-1');
    const pub = await connect(n, 'pub-1');
    await sub.subscribeAsync('t/#', { qos: 1 });
    expect(await roundTrip(pub, sub, 't/a', 'before')).toBe('before');
    let stats = await on(n, `${bin(n)} ctl broker stats`);
    expect(stats.code).toBe(1);
    expect(stats.stdout).toContain('connections.count             : 2\n');
    expect(stats.stdout).toContain('live_connections.count        : 2\n');
    let closes = 0;
    for (const cl of [sub, pub]) cl.on('close', () => closes++);

    const up = await on(n, `${bin(n)} ctl relup upgrade ${c.tarballPath}`);
    expect(up).toEqual({ stdout: 'upgrade complete\n', stderr: '', code: 0 });
    expect((await on(n, `${bin(n)} ctl status`)).stdout).toBe("Node 'emqx@127.0.0.11' 5.10.5 is started\n");
    expect((await on(n, `cat ${n.rootDir}/relup/current`)).stdout).toBe('5.10.5');
    expect(await roundTrip(pub, sub, 't/b', 'after-hop')).toBe('after-hop');
    stats = await on(n, `${bin(n)} ctl broker stats`);
    expect(stats.stdout).toContain('connections.count             : 2\n');
    expect(closes).toBe(0);

    const restart = await on(n, `${bin(n)} stop && ${bin(n)} start`);
    expect(restart.stdout).toBe(
      `ok\nINFO: Loading emqx from hot-upgrade dir: ${n.rootDir}/relup\nEMQX Enterprise 5.10.5 is started successfully!\n`,
    );
    await Promise.all([closed(sub), closed(pub)]);
    expect(closes).toBeGreaterThanOrEqual(2);
    expect((await on(n, `${bin(n)} ctl status`)).stdout).toBe("Node 'emqx@127.0.0.11' 5.10.5 is started\n");
    expect((await on(n, `${bin(n)} ctl relup status`)).stdout).toBe('idle\n');
    expect((await on(n, `${bin(n)} ctl broker stats`)).stdout).toContain('connections.count             : 0\n');
    // the listener is back on the same port
    const again = await connect(n, 'again');
    await again.endAsync();
  });

  it('crashDuringCodeChange restarts the VM: nodedown RPC line, exit 1, clients dropped, row stays in-progress', async () => {
    const n = c.nodes[1];
    const cl = await connect(n, 'victim');
    const pidBefore = (await on(n, `${bin(n)} pid`)).stdout;
    await new Promise((res) => setTimeout(res, 1000)); // so an uptime reset would show
    await setFaults(n.rootDir, { crashDuringCodeChange: true });
    const r = await on(n, `${bin(n)} ctl relup upgrade ${c.tarballPath}`);
    expect(r).toEqual({ stdout: 'RPC to emqx@127.0.0.12 failed: nodedown\n', stderr: '', code: 1 });
    await closed(cl);
    await clearFaults(n.rootDir);
    await new Promise((res) => setTimeout(res, 1200)); // the VM comes back after ~1 s
    expect((await on(n, `${bin(n)} ctl status`)).stdout).toBe("Node 'emqx@127.0.0.12' 5.10.4 is started\n");
    expect((await on(n, `${bin(n)} ctl relup status`)).stdout).toBe('in-progress\n');
    expect((await on(n, `test -e ${n.rootDir}/relup/current; echo $?`)).stdout).toBe('1\n');
    // init:restart() keeps the emulator: same OS pid, uptime NOT reset (facts A6)
    expect((await on(n, `${bin(n)} pid`)).stdout).toBe(pidBefore);
    const up = /uptime {4}: (?:(\d+) minutes, )?(\d+) seconds\n$/.exec((await on(n, `${bin(n)} ctl broker`)).stdout);
    expect(up).not.toBeNull();
    expect(Number(up![1] ?? 0) * 60 + Number(up![2])).toBeGreaterThanOrEqual(3);
  });

  it('a stopped peer shows in stopped_nodes; nodeDown answers like a dead node; diskFull reaches `df -Pk`', async () => {
    const [a, , n3] = c.nodes;
    expect((await on(n3, `${bin(n3)} stop`)).stdout).toBe('ok\n');
    expect((await on(a, `${bin(a)} ctl cluster status`)).stdout).toBe(
      "Cluster status: #{running_nodes => ['emqx@127.0.0.11','emqx@127.0.0.12'],\n                  stopped_nodes => ['emqx@127.0.0.13']}\n",
    );
    const down = await on(n3, `${bin(n3)} ctl status`);
    expect(down).toEqual({ stdout: '', stderr: "Node 'emqx@127.0.0.13' not responding to pings.\n", code: 1 });
    expect((await on(n3, `${bin(n3)} start`)).code).toBe(0);
    await setFaults(n3.rootDir, { diskFull: true });
    const df = await on(n3, `df -Pk ${n3.stagingDir}`);
    expect(df.stdout.split('\n')[1].split(/\s+/)[3]).toBe('1024');
    await clearFaults(n3.rootDir);
    const real = await on(n3, `df -Pk ${n3.stagingDir}`);
    expect(Number(real.stdout.split('\n')[1].split(/\s+/)[3])).toBeGreaterThan(1024);
  });
});
