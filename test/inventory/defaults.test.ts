// What an inventory may leave out: a plain Ansible inventory (no emqx_rollout_* vars) and our
// format without `user`. Exact objects for the corpus files; inline texts for the naming rules.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/inventory/errors.js';
import { loadInventory, localUser, parseInventory, type InventoryEnv } from '../../src/inventory/load.js';
import type { NodeSpec } from '../../src/inventory/types.js';
import { makeHome } from './home.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.join(here, 'corpus');
const files = path.join(corpus, 'files');
const repo = path.resolve(here, '../..');
const h = makeHome();
afterAll(() => h.cleanup());
const env: InventoryEnv = { home: h.home, cwd: repo, user: 'operator' };
const kh = path.join(h.home, '.ssh/known_hosts');
const DEF_GATES = {
  soakSeconds: 30,
  timeoutSeconds: 300,
  commands: [],
  minConnectionRatio: 0.5,
  minConnectionsJudged: 10,
};
const DEF_RESTART = { command: '{rootDir}/bin/emqx stop && {rootDir}/bin/emqx start' };

function node(n: Partial<NodeSpec> & Pick<NodeSpec, 'name' | 'host' | 'user'>): NodeSpec {
  return {
    port: 22,
    identityFile: undefined,
    knownHosts: kh,
    jump: [],
    rootDir: '/opt/emqx',
    stagingDir: '/opt/upgrade',
    backupDir: '/var/backups/emqx',
    ...n,
  };
}

function problems(text: string, file: string, e: InventoryEnv): string[] {
  try {
    parseInventory(text, file, e);
  } catch (err) {
    expect(err).toBeInstanceOf(InventoryError);
    return [...(err as InventoryError).details];
  }
  throw new Error('expected the inventory to be rejected');
}

const clusterOf = (text: string, file = '/inv/hosts.yaml') => parseInventory(text, file, env).cluster;
const namesOf = (text: string, file = '/inv/hosts.yaml') => parseInventory(text, file, env).nodes.map((n) => n.name);

describe('plain Ansible inventories', () => {
  it('good-ansible-plain.yaml: all.hosts are the nodes, cluster from the file name, user from env', async () => {
    const file = path.join(corpus, 'good-ansible-plain.yaml');
    expect(await loadInventory(file, env)).toStrictEqual({
      file,
      cluster: 'good-ansible-plain',
      nodes: [
        node({ name: 'emqx@10.0.0.11', host: '10.0.0.11', user: 'emqx' }),
        node({ name: 'emqx@10.0.0.12', host: '10.0.0.12', port: 2222, user: 'operator' }),
        node({ name: 'emqx@emqx3', host: 'emqx3', user: 'operator' }),
      ],
      gates: DEF_GATES,
      restart: DEF_RESTART,
      window: undefined,
    });
  });

  it('loadInventory defaults the user to the local user running the tool', async () => {
    const me = os.userInfo().username;
    expect(localUser()).toBe(me);
    const inv = await loadInventory(path.join(corpus, 'good-ansible-plain.yaml'), { home: h.home, cwd: repo });
    expect(inv.nodes.map((n) => n.user)).toEqual(['emqx', me, me]);
  });

  it('good-ansible-emqx-group.yaml: the one *emqx* group among several, vars host > child > parent > all', async () => {
    const file = path.join(corpus, 'good-ansible-emqx-group.yaml');
    const idTest = path.join(files, 'id_test');
    const idHome = path.join(h.home, '.ssh/id_ed25519');
    expect(await loadInventory(file, env)).toStrictEqual({
      file,
      cluster: 'emqx_brokers',
      nodes: [
        // bastion (all.hosts → ungrouped) and k1 (kafka) are not nodes.
        node({ name: 'emqx@10.1.0.1', host: '10.1.0.1', port: 2200, user: 'broker', identityFile: idTest }),
        node({ name: 'emqx@10.1.0.2', host: '10.1.0.2', port: 2202, user: 'broker', identityFile: idHome }),
        // As Ansible's ssh plugin: the all-level ansible_ssh_private_key_file beats the host-level
        // ansible_private_key_file (the legacy name wins whenever both are defined).
        node({ name: 'emqx@10.1.0.3', host: '10.1.0.3', port: 2100, user: 'broker', identityFile: idTest }),
      ],
      gates: DEF_GATES,
      restart: DEF_RESTART,
      window: undefined,
    });
  });

  it('good-ansible-own-vars.yaml: emqx_rollout_* vars take precedence over every default', async () => {
    const file = path.join(corpus, 'good-ansible-own-vars.yaml');
    const own = {
      knownHosts: path.join(files, 'known_hosts'),
      rootDir: '/srv/emqx',
      stagingDir: '/srv/stage',
      backupDir: '/srv/backup',
    };
    expect(await loadInventory(file, env)).toStrictEqual({
      file,
      cluster: 'prod-eu',
      nodes: [
        node({ name: 'emqx@b1.prod.internal', host: '10.2.0.1', user: 'ops', ...own }),
        node({ name: 'emqx@10.2.0.2', host: '10.2.0.2', user: 'root', ...own }),
      ],
      gates: DEF_GATES,
      restart: DEF_RESTART,
      window: undefined,
    });
  });

  it('a single group names the cluster, whether under all.children or at the top level', () => {
    expect(clusterOf('all:\n  children:\n    emqx:\n      hosts:\n        e1: {ansible_host: 10.0.0.11}\n')).toBe(
      'emqx',
    );
    expect(clusterOf('brokers:\n  hosts:\n    e1:\n    e2:\n')).toBe('brokers');
    // Nested groups below the single top-level group do not change its name.
    expect(
      clusterOf(
        'all:\n  children:\n    prod:\n      children:\n        a: {hosts: {e1: }}\n        b: {hosts: {e2: }}\n',
      ),
    ).toBe('prod');
    // Group names are sanitised to [A-Za-z0-9._-]+.
    expect(clusterOf('all:\n  children:\n    "emqx prod/eu":\n      hosts: {e1: }\n')).toBe('emqx-prod-eu');
  });

  it('else the file base name without extension, sanitised', () => {
    const flat = 'all:\n  hosts:\n    e1:\n';
    expect(clusterOf(flat, '/inv/hosts.yml')).toBe('hosts');
    expect(clusterOf(flat, '/inv/prod.eu.yaml')).toBe('prod.eu');
    expect(clusterOf(flat, '/inv/my hosts (eu).yaml')).toBe('my-hosts-eu');
    expect(clusterOf(flat, '/inv/+++.yaml')).toBe('emqx');
    // Two groups, none (or more than one) named *emqx*: every host, named after the file.
    const two = (a: string, b: string) => `all:\n  children:\n    ${a}: {hosts: {h1: }}\n    ${b}: {hosts: {h2: }}\n`;
    expect(clusterOf(two('web', 'db'), '/inv/site.yaml')).toBe('site');
    expect(namesOf(two('web', 'db'))).toEqual(['emqx@h1', 'emqx@h2']);
    expect(clusterOf(two('emqx_a', 'EMQX_b'), '/inv/site.yaml')).toBe('site');
    expect(namesOf(two('emqx_a', 'EMQX_b'))).toEqual(['emqx@h1', 'emqx@h2']);
    // A group and ungrouped hosts are two top-level groups: the *emqx* one wins (case-insensitive).
    const withBastion = 'all:\n  hosts: {bastion: }\n  children:\n    EMQX:\n      hosts: {e1: , e2: }\n';
    expect(clusterOf(withBastion)).toBe('EMQX');
    expect(namesOf(withBastion)).toEqual(['emqx@e1', 'emqx@e2']);
    // …but a group without hosts does not count.
    expect(namesOf('all:\n  hosts: {h1: , h2: }\n  children:\n    emqx: {vars: {ansible_port: 2}}\n')).toEqual([
      'emqx@h1',
      'emqx@h2',
    ]);
  });

  it('a host without ansible_user and no env user is still an error at the host', () => {
    expect(
      problems('all:\n  hosts:\n    e1: {ansible_host: 10.0.0.1}\n', '/inv/hosts.yaml', { home: '/h', cwd: '/inv' }),
    ).toEqual([
      'hosts.yaml:3:5 all.hosts.e1.ansible_user: user is required (set ansible_user in the host vars or in the vars of one of its groups)',
    ]);
  });
});

describe('our format without user', () => {
  const text = 'cluster: c\nnodes:\n  - {name: emqx@a, host: a}\n  - {name: emqx@b, host: b, user: admin}\n';

  it('defaults to the env user; a node or defaults.user still wins', () => {
    const inv = parseInventory(text, '/w/inv.yaml', { home: '/h', cwd: '/w', user: 'operator' });
    expect(inv.nodes.map((n) => n.user)).toEqual(['operator', 'admin']);
    const withDefaults = parseInventory(text.replace('nodes:', 'defaults: {user: emqx}\nnodes:'), '/w/inv.yaml', {
      home: '/h',
      cwd: '/w',
      user: 'operator',
    });
    expect(withDefaults.nodes.map((n) => n.user)).toEqual(['emqx', 'admin']);
  });

  it('is required only when there is no env user (parseInventory stays pure: no os lookup)', () => {
    expect(problems(text, '/w/inv.yaml', { home: '/h', cwd: '/w' })).toEqual([
      'inv.yaml:3:5 nodes[0].user: user is required (set defaults.user or nodes[0].user)',
    ]);
  });

  it('an env user that cannot be an SSH user name is not used silently', () => {
    expect(problems(text, '/w/inv.yaml', { home: '/h', cwd: '/w', user: 'jo@corp.example' })).toEqual([
      'inv.yaml:3:5 nodes[0].user: user is required: the local user "jo@corp.example" is not a usable SSH user name (set defaults.user or nodes[0].user)',
    ]);
  });

  it('loadInventory fills the local user', async () => {
    const file = path.join(repo, 'inventories', 'minimal.yaml');
    const text2 = readFileSync(file, 'utf8');
    expect(text2).not.toMatch(/^\s*user:/m);
    const inv = await loadInventory(file, { home: h.home, cwd: repo });
    expect(inv.nodes.map((n) => n.user)).toEqual([os.userInfo().username, os.userInfo().username]);
  });
});
