// The peers' generated programs: the bash loop is valid bash doing the same checks as our gates; the
// Ansible play is valid YAML with a parallel staging play and a `serial: 1` play of the same checks.
// (The bench itself runs both against real sshds; this keeps a broken generator from costing a bench run.)
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchCluster } from '../../src/bench/cluster.js';
import { ANSIBLE_PLAYBOOK, ansiblePlay, bashLoop } from '../../src/bench/peers.js';

const run = promisify(execFile);
let dir = '';
let c: BenchCluster;
const socketDirs: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-peers-'));
  await writeFile(join(dir, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256'), `${'ab'.repeat(32)}\n`);
  const node = (i: number) => ({
    name: `emqx@127.0.0.${10 + i}`,
    host: `127.0.0.${150 + i}`,
    port: 40_000 + i,
    rootDir: `/n/${i}/emqx`,
    stagingDir: `/n/${i}/staging`,
    backupDir: `/n/${i}/backup`,
    tmpDir: `/n/${i}/tmp`,
  });
  c = {
    dir,
    user: 'root',
    keyPath: '/k/id',
    knownHostsPath: '/k/known_hosts',
    from: '5.10.4',
    to: '5.10.5',
    ctlLatencyMs: 500,
    tarballPath: join(dir, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz'),
    sidecarPath: join(dir, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256'),
    nodes: [1, 2, 3].map(node),
  } as unknown as BenchCluster;
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  for (const d of socketDirs) await rm(d, { recursive: true, force: true });
});

it('bash loop: parses, one ControlMaster per node, and runs our gate checks around relup upgrade', async () => {
  const p = await bashLoop(c, 2, join(dir, 'bash'));
  socketDirs.push(...p.tmpDirs);
  const script = await readFile(p.argv[1], 'utf8');
  await run('bash', ['-n', p.argv[1]]); // throws on a syntax error
  expect(script).toContain("NAMES=('emqx@127.0.0.11' 'emqx@127.0.0.12')"); // only the first k nodes
  expect(script).toContain('ControlMaster=yes');
  for (const check of [
    'ctl status',
    'ctl relup status',
    'ctl cluster status --json',
    'sha256sum',
    'ctl relup upgrade',
    'relup/current',
    'ctl relup logs',
    'ctl broker stats',
  ]) {
    expect(script, check).toContain(check);
  }
  expect(script).toContain(`SHA='${'ab'.repeat(32)}'`);
});

it('Ansible play: stage on all hosts, then serial: 1 with 4 checks, the upgrade and 6 checks', async () => {
  const p = await ansiblePlay(c, 3, join(dir, 'ansible'));
  socketDirs.push(...(p?.tmpDirs ?? []));
  if (!ANSIBLE_PLAYBOOK) {
    expect(p).toBeNull();
    return;
  }
  const plays = parse(await readFile(join(dir, 'ansible', 'play.yml'), 'utf8')) as Array<Record<string, unknown>>;
  expect(plays.map((x) => x.serial)).toEqual([undefined, 1]);
  const tasks = plays[1].tasks as Array<{ name: string; 'ansible.builtin.command': string; failed_when: string }>;
  expect(tasks.map((t) => t.name)).toEqual([
    'before - status',
    'before - relup status',
    'before - cluster',
    'before - staged sha256',
    'upgrade',
    'after - status',
    'after - relup status',
    'after - marker',
    'after - relup log',
    'after - cluster',
    'after - broker stats',
  ]);
  expect(tasks[4]['ansible.builtin.command']).toBe(
    '{{ emqx_root }}/bin/emqx ctl relup upgrade {{ emqx_staging }}/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz',
  );
  expect(tasks[3].failed_when).toContain('ab'.repeat(32));
  const hosts = await readFile(join(dir, 'ansible', 'hosts.ini'), 'utf8');
  expect(hosts.match(/^n\d /gm)).toHaveLength(3);
  // the playbook is accepted by ansible-playbook itself
  await run(p!.argv[0], [...p!.argv.slice(1), '--syntax-check'], { env: { ...process.env, ...p!.env } });
}, 60_000);
