// A rollout of a 3-node cluster behind REAL OpenSSH sshd: simulated nodes (the sim's installs and
// daemons, built by startSimCluster) reached through three sshd on 127.0.0.x instead of the sim's
// in-process SSH servers. The nodes' bin/emqx are shell scripts talking to a node daemon over a
// unix socket, so any login on this machine drives them. Node 3 is reached only through sshd 1 as a
// ProxyJump. Skips with a printed reason without sshd — except under CI=true, where it fails.
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/cluster.js';
import { haveSshd, knownHostsLine, startSshd, type SshdInstance } from '../support/sshd.js';
import { ensureBuilt, explain, relupRows, runCli, runningVersion, successRows } from './support/crashCli.js';

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

/** An inventory for the sim nodes, with each node's SSH endpoint replaced by a real sshd. */
function inventory(
  c: SimCluster,
  ssh: readonly SshdInstance[],
  opts: { jumpNode3: boolean; knownHosts: string },
): string {
  const lines = [
    'cluster: sshd-e2e',
    'defaults:',
    `  user: ${yq(userInfo().username)}`,
    `  identityFile: ${yq(c.keyPath)}`,
    `  knownHosts: ${yq(opts.knownHosts)}`,
    'nodes:',
  ];
  c.nodes.forEach((n, i) => {
    lines.push(
      `  - name: ${yq(n.name)}`,
      `    host: ${yq(ssh[i].host)}`,
      `    port: ${ssh[i].port}`,
      `    rootDir: ${yq(n.rootDir)}`,
      `    stagingDir: ${yq(n.stagingDir)}`,
      `    backupDir: ${yq(n.backupDir)}`,
    );
    if (i === 2 && opts.jumpNode3)
      lines.push(`    jump: ${yq(`${userInfo().username}@${ssh[0].host}:${ssh[0].port}`)}`);
  });
  lines.push('gates:', '  soakSeconds: 0', '  timeoutSeconds: 60', '');
  return lines.join('\n');
}

async function setUp(jumpNode3: boolean): Promise<{ c: SimCluster; inv: string }> {
  dir = await mkdtemp(join(tmpdir(), 'emqx-rollout-e2e-sshd-'));
  cluster = await startSimCluster({ dir, nodes: 3, soakSeconds: 0 });
  const c = cluster;
  const pub = await readFile(`${c.keyPath}.pub`, 'utf8');
  // Distinct addresses (127.0.0.21–23), away from the sim's own 127.0.0.11–13.
  for (let i = 0; i < 3; i++) {
    sshds.push(
      await startSshd({
        host: `127.0.0.${21 + i}`,
        authorizedKeys: pub,
        // jump variant: sshd 1 logs at DEBUG1, which names each direct-tcpip target it forwards to
        ...(jumpNode3 && i === 0 ? { extraConfig: ['LogLevel DEBUG1'] } : {}),
      }),
    );
  }
  const knownHosts = join(dir, 'known_hosts.sshd');
  await writeFile(knownHosts, sshds.map((s) => `${knownHostsLine(s.host, s.port, s.hostPublicKey)}\n`).join(''));
  const inv = join(dir, 'inventory.sshd.yaml');
  await writeFile(inv, inventory(c, sshds, { jumpNode3, knownHosts }));
  return { c, inv };
}

async function rolloutAndCheck(c: SimCluster, inv: string): Promise<void> {
  const t0 = Date.now();
  const r = await runCli(['upgrade', '-i', inv, '--tarball', c.tarballPath, '--yes', '--json'], { timeoutMs: 120_000 });
  const ms = Date.now() - t0;
  expect(r.code, `${explain(r)}\n\nsshd 1 log tail:\n${sshds[0]?.log().slice(-2000)}`).toBe(0);
  console.log(`[measure] 3-node rollout behind OpenSSH sshd: ${ms} ms`);
  expect(r.events.filter((e) => e.type === 'node.done' && e.outcome === 'upgraded').map((e) => e.node)).toEqual(
    c.nodes.map((n) => n.name),
  );
  expect(r.events.some((e) => e.type === 'rollout.done')).toBe(true);
  for (const n of c.nodes) {
    expect(runningVersion(n.rootDir), n.name).toBe(c.to);
    expect(relupRows(n.rootDir), n.name).toHaveLength(1);
    expect(successRows(n.rootDir), n.name).toBe(1);
  }
}

const acceptedLogins = (s: SshdInstance) => (s.log().match(/Accepted publickey for /g) ?? []).length;

// One rollout covers both: nodes 1 and 2 each through their own sshd, node 3 only through sshd 1
// as a ProxyJump (a second full rollout for the all-direct case would double the ~15 s here).
describe.skipIf(!SSHD)('upgrade behind real OpenSSH sshd', () => {
  it('rolls a 3-node cluster: nodes 1–2 direct, node 3 through sshd 1 as a ProxyJump', async () => {
    const { c, inv } = await setUp(true);
    await rolloutAndCheck(c, inv);
    // the sessions really went through OpenSSH: every sshd accepted our key (node 3's end to end)
    for (const s of sshds) expect(acceptedLogins(s), `sshd ${s.host}`).toBeGreaterThanOrEqual(1);
    // sshd 1 forwarded to node 3 (direct-tcpip, logged at DEBUG1), and only to node 3
    expect(sshds[0].log()).toContain(`target ${sshds[2].host} port ${sshds[2].port}`);
    expect(sshds[0].log()).not.toContain(`target ${sshds[1].host} port ${sshds[1].port}`);
  }, 150_000);
});
