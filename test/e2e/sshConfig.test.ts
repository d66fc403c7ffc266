// Node hosts written as ssh_config aliases, reached through a ProxyJump (node 1) or a ProxyCommand
// (node 2) that only the config names — over REAL OpenSSH sshd: a bastion sshd and one sshd per
// simulated node on 127.0.8.x. The ProxyCommand is a local script piping stdio to the node's sshd.
// The inventory holds no address, port, user, key, known_hosts or jump: all of it comes from
// `--ssh-config`, and `status` / `plan` / `inventory` must work through it. Skips with a printed
// reason without sshd — except under CI=true, where it fails.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { haveSshd, knownHostsLine, makeClientKey, startSshd, type SshdInstance } from '../support/sshd.js';
import { ensureBuilt, explain, runCli } from './support/crashCli.js';

const SSHD = haveSshd();
const me = userInfo().username;

let cluster: SimCluster | null = null;
let bastion: SshdInstance | null = null;
let nodes: SshdInstance[] = [];
let dir = '';
let inv = '';
let cfg = '';
/** A key no sshd accepts, listed first for the nodes: ssh tries every IdentityFile in order. */
let wrongKey = '';
/** Every target the ProxyCommand script was started for, one `host:port` per line. */
let proxyLog = '';

beforeAll(async () => {
  if (!SSHD) return;
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'emqx-rollout-e2e-sshcfg-'));
  cluster = await startSimCluster({ dir, nodes: 2, soakSeconds: 0, hostPrefix: '127.0.7.' });
  const pub = await readFile(`${cluster.keyPath}.pub`, 'utf8');
  bastion = await startSshd({ host: '127.0.8.1', authorizedKeys: pub, extraConfig: ['LogLevel DEBUG1'] });
  for (let i = 0; i < 2; i++) nodes.push(await startSshd({ host: `127.0.8.${2 + i}`, authorizedKeys: pub }));
  wrongKey = (await makeClientKey(dir, { name: 'not_authorized' })).privatePath;
  proxyLog = join(dir, 'proxy.log');
  const proxy = join(dir, 'proxy.cjs');
  await writeFile(
    proxy,
    [
      'const [host, port] = process.argv.slice(2);',
      `require('fs').appendFileSync(${JSON.stringify(proxyLog)}, host + ':' + port + '\\n');`,
      "const s = require('net').connect(Number(port), host);",
      'process.stdin.pipe(s); s.pipe(process.stdout);',
      "s.on('close', () => process.exit(0)); s.on('error', (e) => { console.error(e.message); process.exit(1); });",
    ].join('\n'),
  );
  const kh = join(dir, 'known_hosts.cfg');
  await writeFile(kh, [bastion, ...nodes].map((s) => `${knownHostsLine(s.host, s.port, s.hostPublicKey)}\n`).join(''));
  cfg = join(dir, 'ssh_config');
  await writeFile(
    cfg,
    [
      'Host jumpbox',
      `  HostName ${bastion.host}`,
      `  Port ${bastion.port}`,
      ...nodes.flatMap((s, i) => [`Host emqx-${i + 1}`, `  HostName ${s.host}`, `  Port ${s.port}`]),
      // first obtained wins: node 2's ProxyCommand comes before the ProxyJump of emqx-*
      'Host emqx-2',
      `  ProxyCommand ${process.execPath} ${proxy} %h %p`,
      'Host emqx-*',
      '  ProxyJump jumpbox',
      `  IdentityFile ${wrongKey}`,
      'Host *',
      `  User ${me}`,
      `  IdentityFile ${cluster.keyPath}`,
      `  UserKnownHostsFile ${kh}`,
      '  IdentitiesOnly yes',
      '',
    ].join('\n'),
  );
  inv = join(dir, 'inventory.cfg.yaml');
  await writeFile(
    inv,
    [
      'cluster: sshcfg-e2e',
      'nodes:',
      ...cluster.nodes.flatMap((n, i) => [
        `  - name: ${JSON.stringify(n.name)}`,
        `    host: emqx-${i + 1}`,
        `    rootDir: ${JSON.stringify(n.rootDir)}`,
        `    stagingDir: ${JSON.stringify(n.stagingDir)}`,
        `    backupDir: ${JSON.stringify(n.backupDir)}`,
      ]),
      '',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([bastion, ...nodes].map((s) => (s ? s.stop() : Promise.resolve())));
  nodes = [];
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!SSHD)('ssh_config aliases with ProxyJump, over real OpenSSH sshd', () => {
  it('inventory resolves every node through the config, contacting none', async () => {
    const r = await runCli(['inventory', '-i', inv, '--ssh-config', cfg, '--json']);
    expect(r.code, explain(r)).toBe(0);
    const out = JSON.parse(r.stdout) as {
      cluster: string;
      nodes: {
        host: string;
        port: number;
        identityFile: string;
        moreIdentityFiles: string[];
        jump: unknown[];
        sources: Record<string, { from: string; at?: string }>;
      }[];
    };
    expect(out.cluster).toBe('sshcfg-e2e');
    expect(out.nodes.map((n) => [n.host, n.port])).toEqual(nodes.map((s) => [s.host, s.port]));
    for (const n of out.nodes) {
      expect([n.identityFile, ...n.moreIdentityFiles]).toEqual([wrongKey, cluster!.keyPath]);
      expect(n.sources.host).toMatchObject({ from: 'ssh_config', at: expect.stringMatching(/ssh_config:\d+$/) });
    }
    const [n1, n2] = out.nodes as unknown as Record<string, unknown>[];
    expect(n1.jump).toEqual([
      {
        user: me,
        host: bastion!.host,
        port: bastion!.port,
        identityFile: cluster!.keyPath,
        knownHosts: join(dir, 'known_hosts.cfg'),
      },
    ]);
    expect(n1.sources).toMatchObject({
      jump: { from: 'ssh_config', at: `${cfg}:${5 + 3 * nodes.length + 2}`, key: 'ProxyJump' },
    });
    expect(n2).toMatchObject({
      jump: [],
      proxyCommand: expect.stringContaining(`proxy.cjs ${nodes[1].host} ${nodes[1].port}`),
    });
    expect(n2.sources).toMatchObject({
      jump: { from: 'ssh_config', at: `${cfg}:${5 + 3 * nodes.length}`, key: 'ProxyCommand' },
    });
    // nothing connected: no sshd saw a login
    for (const s of [bastion!, ...nodes]) expect(s.log()).not.toMatch(/Accepted publickey/);
  });

  it('status and plan reach every node through the ProxyJump or ProxyCommand the config names', async () => {
    let t0 = Date.now();
    const st = await runCli(['status', '-i', inv, '--ssh-config', cfg, '--json'], { timeoutMs: 60_000 });
    console.log(`[measure] status through the config's ProxyJump and ProxyCommand: ${Date.now() - t0} ms`);
    expect(st.code, explain(st)).toBe(0);
    const rows = st.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { node: string; reachable: boolean; version: string });
    expect(rows.map((x) => [x.node, x.reachable, x.version])).toEqual(
      cluster!.nodes.map((n) => [n.name, true, cluster!.from]),
    );
    t0 = Date.now();
    const plan = await runCli(['plan', '-i', inv, '--ssh-config', cfg, '--tarball', cluster!.tarballPath, '--json'], {
      timeoutMs: 60_000,
    });
    console.log(`[measure] plan through the config's ProxyJump and ProxyCommand: ${Date.now() - t0} ms`);
    expect(plan.code, explain(plan)).toBe(0);
    expect(plan.events.some((e) => e.type === 'plan.ready')).toBe(true);
    // node 1's sessions went through the bastion (direct-tcpip, logged at DEBUG1), node 2's through the
    // ProxyCommand and not the bastion; both ended at their node's sshd
    expect(bastion!.log()).toContain(`target ${nodes[0].host} port ${nodes[0].port}`);
    expect(bastion!.log()).not.toContain(`target ${nodes[1].host}`);
    expect(new Set((await readFile(proxyLog, 'utf8')).trim().split('\n'))).toEqual(
      new Set([`${nodes[1].host}:${nodes[1].port}`]),
    );
    for (const s of nodes) expect(s.log()).toMatch(new RegExp(`Accepted publickey for ${me} `));
  }, 120_000);

  it('without the config the aliases do not resolve: the node is unreachable, not silently something else', async () => {
    const r = await runCli(['status', '-i', inv, '--ssh-config', 'none', '--json'], { timeoutMs: 60_000 });
    // 2 when ~/.ssh/known_hosts is missing too (nothing says where the keys are), else 3 (emqx-1 unresolvable)
    expect([2, 3], explain(r)).toContain(r.code);
    expect(r.stdout).not.toMatch(/"reachable":true/);
  }, 90_000);
});
