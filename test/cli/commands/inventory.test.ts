// `emqx-rollout inventory`: every resolved value with where it came from — inventory node,
// defaults, Ansible var of which group/host, ssh_config file:line, built-in default. Contacts no node.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inventoryCommand } from '../../../src/cli/commands/inventory.js';
import type { CliIO } from '../../../src/cli/io.js';
import { describeError } from '../../../src/cli/program.js';
import { makeHome } from '../../inventory/home.js';

const h = makeHome();
const dir = mkdtempSync(path.join(os.tmpdir(), 'emqx-rollout-inventory-cmd-'));
afterAll(() => {
  h.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function run(file: string, json: boolean, sshConfigFile?: string): Promise<string> {
  let out = '';
  const io = {
    stdout: { write: (s: string) => ((out += s), true) },
    home: h.home,
    cwd: dir,
    env: {},
    ...(sshConfigFile ? { sshConfigFile } : {}),
  } as unknown as CliIO;
  await inventoryCommand(io, { inventory: file, json });
  return out;
}

writeFileSync(
  path.join(dir, 'ssh.conf'),
  [
    'Host bastion',
    '  HostName 192.0.2.50',
    '  User jumper',
    'Host node-*',
    '  HostName 10.0.0.%h',
    '  ProxyJump bastion',
    'Host node-1',
    '  Port 2201',
    '',
  ].join('\n'),
);
writeFileSync(
  path.join(dir, 'inv.yaml'),
  [
    'cluster: t',
    'defaults:',
    '  user: emqx',
    '  sshConfig: ssh.conf',
    'nodes:',
    '  - name: emqx@n1',
    '    host: node-1',
    '  - name: emqx@n2',
    '    host: node-2',
    '    port: 22',
    '    rootDir: /srv/emqx',
    '',
  ].join('\n'),
);

describe('inventory', () => {
  it('--json: the dialled values and a sources map per node', async () => {
    const j = JSON.parse(await run('inv.yaml', true));
    const conf = path.join(dir, 'ssh.conf');
    expect(j).toMatchObject({ cluster: 't', sshConfig: conf });
    expect(j.nodes.map((n: { host: string; port: number }) => [n.host, n.port])).toEqual([
      ['10.0.0.node-1', 2201],
      ['10.0.0.node-2', 22],
    ]);
    expect(j.nodes[0].jump).toEqual([{ user: 'jumper', host: '192.0.2.50', port: 22 }]);
    expect(j.nodes[0].sources).toEqual({
      name: { from: 'node', at: 'inv.yaml:6', key: 'nodes[0].name' },
      host: { from: 'ssh_config', at: `${conf}:5`, key: 'HostName', alias: 'node-1' },
      port: { from: 'ssh_config', at: `${conf}:8`, key: 'Port' },
      user: { from: 'defaults', at: 'inv.yaml:3', key: 'defaults.user' },
      identityFile: { from: 'default' },
      knownHosts: { from: 'default' },
      jump: { from: 'ssh_config', at: `${conf}:6`, key: 'ProxyJump' },
      rootDir: { from: 'default' },
      stagingDir: { from: 'default' },
      backupDir: { from: 'default' },
    });
    expect(j.nodes[1].sources).toMatchObject({
      port: { from: 'node', key: 'nodes[1].port' },
      rootDir: { from: 'node', at: 'inv.yaml:11' },
    });
  });

  it('a table with the source of every value; --ssh-config none turns the config off', async () => {
    const t = await run('inv.yaml', false);
    expect(t).toMatch(/^cluster t · 2 nodes · inv\.yaml · ssh_config .*ssh\.conf$/m);
    expect(t).toMatch(/^ {2}host +10\.0\.0\.node-1 +ssh_config .*ssh\.conf:5 \(HostName for node-1\)$/m);
    expect(t).toMatch(/^ {2}user +emqx +inventory defaults defaults\.user \(inv\.yaml:3\)$/m);
    expect(t).toMatch(/^ {2}rootDir +\/opt\/emqx +built-in default$/m);
    const off = JSON.parse(await run('inv.yaml', true, 'none'));
    expect(off.sshConfig).toBeNull();
    expect(off.nodes[0]).toMatchObject({ host: 'node-1', port: 22, jump: [] });
  });

  it('Ansible: which group or host var set each value, and what was derived', async () => {
    writeFileSync(
      path.join(dir, 'hosts.yaml'),
      [
        'all:',
        '  vars:',
        '    emqx_rollout_ssh_config: none',
        '  children:',
        '    emqx:',
        '      vars:',
        '        ansible_user: ops',
        '      hosts:',
        '        10.0.0.11:2222:',
        '        n2:',
        '          ansible_host: 10.0.0.12',
        '',
      ].join('\n'),
    );
    const j = JSON.parse(await run('hosts.yaml', true));
    expect(j).toMatchObject({ cluster: 'emqx', format: 'ansible', sshConfig: null });
    const [a, b] = j.nodes;
    expect(a).toMatchObject({ name: 'emqx@10.0.0.11', host: '10.0.0.11', port: 2222, user: 'ops' });
    expect(a.sources.user).toEqual({ from: 'ansible', at: 'hosts.yaml:7', group: 'emqx', key: 'ansible_user' });
    expect(a.sources.port).toMatchObject({ from: 'derived', how: 'the port of the host key' });
    expect(a.sources.name).toMatchObject({ from: 'derived', how: 'emqx@ + host' });
    expect(b.sources.host).toEqual({ from: 'ansible', at: 'hosts.yaml:11', host: 'n2', key: 'ansible_host' });
  });

  it('an invalid inventory is exit 2 with the problems, nothing else printed', async () => {
    writeFileSync(
      path.join(dir, 'bad.yaml'),
      'cluster: t\ndefaults: {sshConfig: nope.conf}\nnodes: [{name: a@b, host: b, port: 0}]\n',
    );
    const e = await run('bad.yaml', false).catch((x: unknown) => x);
    const d = describeError(e);
    expect(d.code).toBe(2);
    expect(d.text).toMatch(
      /bad\.yaml:2:\d+ defaults\.sshConfig: expected an OpenSSH client config file, found "nope\.conf" which does not exist/,
    );
    expect(d.text).toMatch(/bad\.yaml:3:\d+ nodes\[0\]\.port: expected an integer 1–65535/);
  });
});
