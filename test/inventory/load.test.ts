// Good inventories → the exact frozen object; the loader's edges (missing file, purity of
// parseInventory, shown file names, freezing).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/inventory/errors.js';
import { analyzeInventory, loadInventory, parseInventory } from '../../src/inventory/load.js';
import type { Inventory, NodeSpec } from '../../src/inventory/types.js';
import { BadInputError } from '../../src/util/errors.js';
import { makeHome } from './home.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.join(here, 'corpus');
const repo = path.resolve(here, '../..');
const h = makeHome();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emqx-rollout-inv-'));
afterAll(() => {
  h.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});
const env = { home: h.home, cwd: repo };
const files = path.join(corpus, 'files');

const DEF_GATES = {
  soakSeconds: 30,
  timeoutSeconds: 300,
  commands: [],
  minConnectionRatio: 0.5,
  minConnectionsJudged: 10,
};
const DEF_RESTART = { command: '{rootDir}/bin/emqx stop && {rootDir}/bin/emqx start' };
const DIRS = { rootDir: '/opt/emqx', stagingDir: '/opt/upgrade', backupDir: '/var/backups/emqx' };

function node(n: Partial<NodeSpec> & Pick<NodeSpec, 'name' | 'host'>): NodeSpec {
  return {
    port: 22,
    user: 'emqx',
    identityFile: undefined,
    knownHosts: path.join(h.home, '.ssh/known_hosts'),
    jump: [],
    ...DIRS,
    ...n,
  };
}

describe('good inventories', () => {
  it('good-full.yaml: every key, chains, IPv6, window across midnight, relative local paths', async () => {
    const inv = await loadInventory(path.join(corpus, 'good-full.yaml'), env);
    const defJump = [
      { user: 'ops', host: 'bastion.example.com', port: 2200 },
      { user: undefined, host: 'jump2', port: 22 },
    ];
    const local = { identityFile: path.join(files, 'id_test'), knownHosts: path.join(files, 'known_hosts') };
    const expected: Inventory = {
      file: path.join(corpus, 'good-full.yaml'),
      cluster: '2024.1',
      nodes: [
        node({ name: 'emqx@10.0.0.11', host: '10.0.0.11', ...local, jump: defJump }),
        node({
          name: 'emqx@node2.internal',
          host: '::1',
          port: 2222,
          user: 'admin',
          identityFile: path.join(h.home, '.ssh/id_ed25519'),
          knownHosts: path.join(h.home, '.ssh/known_hosts'),
          jump: [
            { user: 'root', host: 'fd00::1', port: 2022 },
            { user: undefined, host: 'inner', port: 22 },
          ],
          rootDir: '/srv/emqx',
          stagingDir: '/srv/upgrade',
          backupDir: '/srv/backup',
        }),
        node({ name: 'emqx@10.0.0.13', host: '10.0.0.13', ...local, identityFile: undefined, jump: [] }),
      ],
      gates: {
        soakSeconds: 0,
        timeoutSeconds: 12.5,
        commands: ['/opt/emqx/bin/emqx ctl listeners | grep -q running'],
        minConnectionRatio: 1,
        minConnectionsJudged: 10,
      },
      restart: { command: 'systemctl restart emqx' },
      window: { days: ['fri', 'sat'], startMinutes: 22 * 60 + 30, endMinutes: 75, timezone: 'America/New_York' },
    };
    expect(inv).toStrictEqual(expected);
    expect(Object.isFrozen(inv)).toBe(true);
    expect(Object.isFrozen(inv.nodes[1].jump[0])).toBe(true);
    expect(Object.isFrozen(inv.gates.commands)).toBe(true);
    expect(() => {
      (inv.nodes[0] as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('good-anchors.yaml: aliases and merge keys, local keys win, x- extension keys ignored', () => {
    const file = path.join(corpus, 'good-anchors.yaml');
    const inv = parseInventory(readFileSync(file, 'utf8'), file, env);
    expect(inv).toStrictEqual({
      file,
      cluster: 'anchors',
      nodes: [
        node({ name: 'emqx@a', host: 'a.internal', port: 2222 }),
        node({ name: 'emqx@b', host: 'b.internal', port: 22 }),
      ],
      gates: DEF_GATES,
      restart: DEF_RESTART,
      window: undefined,
    });
  });

  it('good-ansible.yaml: precedence, host selection by emqx_rollout_cluster, ProxyJump from common args', async () => {
    const file = path.join(corpus, 'good-ansible.yaml');
    const a = analyzeInventory(readFileSync(file, 'utf8'), file, env);
    expect(a.format).toBe('ansible');
    const inv = await loadInventory(file, env);
    const kh = path.join(files, 'known_hosts');
    const viaBastion = [{ user: 'ops', host: '192.0.2.1', port: 2200 }];
    expect(inv).toStrictEqual({
      file,
      cluster: 'eu1',
      nodes: [
        // File order of first appearance: e2 (in the child group, written first), e1, e3.
        node({
          name: 'emqx@10.1.0.2',
          host: '10.1.0.2',
          port: 2202,
          user: 'deploy',
          knownHosts: kh,
          jump: viaBastion,
          rootDir: '/opt/emqx-new',
        }),
        node({
          name: 'emqx@e1.internal',
          host: '10.1.0.1',
          user: 'deploy',
          identityFile: path.join(files, 'id_test'),
          knownHosts: kh,
          jump: viaBastion,
        }),
        node({
          name: 'emqx@e3',
          host: 'e3',
          user: 'root',
          knownHosts: kh,
          jump: [
            { user: undefined, host: 'a', port: 22 },
            { user: undefined, host: 'b', port: 2 },
          ],
        }),
      ],
      gates: DEF_GATES,
      restart: { command: 'sudo systemctl restart emqx' },
      window: undefined,
    });
  });

  it('the shipped example inventories are valid', () => {
    const ex = (f: string) => {
      const file = path.join(repo, 'inventories', f);
      return parseInventory(readFileSync(file, 'utf8'), file, { ...env, user: 'operator' });
    };
    const full = ex('example.yaml');
    expect(full.cluster).toBe('prod-eu');
    expect(full.nodes.map((n) => `${n.host}:${n.port}`)).toEqual(['10.0.0.11:22', '10.0.0.12:2222', '10.0.0.13:22']);
    expect(full.nodes[2].jump).toEqual([]);
    expect(full.window).toEqual({
      days: ['sat', 'sun'],
      startMinutes: 120,
      endMinutes: 300,
      timezone: 'Europe/Berlin',
    });
    const min = ex('minimal.yaml');
    expect(min.nodes).toStrictEqual([
      node({ name: 'emqx@emqx-1.staging.internal', host: 'emqx-1.staging.internal', user: 'operator' }),
      node({ name: 'emqx@emqx-2.staging.internal', host: 'emqx-2.staging.internal', user: 'operator' }),
    ]);
    const ans = ex('ansible-example.yaml');
    expect(ans.cluster).toBe('prod-eu');
    expect(ans.nodes.map((n) => n.name)).toEqual(['emqx@10.0.0.11', 'emqx@10.0.0.12', 'emqx@emqx-3.prod.internal']);
    expect(ans.nodes[1].port).toBe(2222);
    expect(ans.nodes[0].jump).toEqual([{ user: 'ops', host: 'bastion.example.com', port: 22 }]);
    expect(ans.gates.soakSeconds).toBe(60);
    expect(ans.window?.timezone).toBe('Europe/Berlin');
    const plain = ex('ansible-plain.yaml');
    expect(plain.cluster).toBe('emqx');
    expect(plain.nodes.map((n) => `${n.user}@${n.host}:${n.port} ${n.name}`)).toEqual([
      'emqx@10.0.0.11:22 emqx@10.0.0.11',
      'emqx@10.0.0.12:2222 emqx@10.0.0.12',
      'admin@10.0.0.13:22 emqx@10.0.0.13',
    ]);
  });
});

describe('loader edges', () => {
  it('parseInventory is pure: it does not check local files', () => {
    const text =
      'cluster: c\ndefaults: {user: u, identityFile: /nonexistent/key, knownHosts: /nonexistent/kh}\nnodes: [{name: a@b, host: b}]\n';
    const inv = parseInventory(text, 'inv.yaml', { home: '/home/x', cwd: '/work' });
    expect(inv.file).toBe('/work/inv.yaml');
    expect(inv.nodes[0].identityFile).toBe('/nonexistent/key');
  });

  it('a missing inventory file is a BadInputError naming the file, with a hint', async () => {
    const err = await loadInventory('nope/inv.yaml', { home: h.home, cwd: tmp }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as BadInputError).message).toBe('cannot read inventory nope/inv.yaml: no such file');
    expect((err as BadInputError).hint).toMatch(/-i/);
  });

  it('shows a file outside cwd by its absolute path and one inside by its relative path', () => {
    const bad = 'cluster: c\nnodes: []\n';
    const inside = (() => {
      try {
        parseInventory(bad, path.join(tmp, 'a.yaml'), { home: h.home, cwd: tmp });
      } catch (e) {
        return e as InventoryError;
      }
    })();
    expect(inside?.details).toEqual([
      'a.yaml:2:8 nodes: expected a non-empty list of nodes (each with name and host), found an empty list',
    ]);
    const outside = (() => {
      try {
        parseInventory(bad, path.join(tmp, 'a.yaml'), { home: h.home, cwd: repo });
      } catch (e) {
        return e as InventoryError;
      }
    })();
    expect(outside?.details[0].startsWith(`${path.join(tmp, 'a.yaml')}:2:8 `)).toBe(true);
  });

  it('reads the file it is given and reports problems from every layer at once', async () => {
    const file = path.join(tmp, 'mixed.yaml');
    writeFileSync(
      file,
      'cluster: c\ndefaults: {user: u, knownHosts: ./kh}\nnodes:\n  - {name: a@b, host: b, port: 0}\n',
    );
    const err = (await loadInventory(file, { home: h.home, cwd: tmp }).catch((e: unknown) => e)) as InventoryError;
    expect(err).toBeInstanceOf(InventoryError);
    expect(err.details).toEqual([
      `mixed.yaml:2:33 defaults.knownHosts: expected a known_hosts file holding the nodes' host keys, found "./kh" (${path.join(tmp, 'kh')}) which does not exist; host keys are always verified — add them with ssh-keyscan after checking the fingerprints, or set knownHosts`,
      'mixed.yaml:4:32 nodes[0].port: expected an integer 1–65535, found 0',
    ]);
    expect(err.long()).toContain('→ fix every line above');
  });

  it('reports the built-in known_hosts default when it is missing, once, at the first node', async () => {
    const file = path.join(tmp, 'nokh.yaml');
    writeFileSync(
      file,
      'cluster: c\ndefaults: {user: u}\nnodes:\n  - {name: a@b, host: b}\n  - {name: a@c, host: c}\n',
    );
    const err = (await loadInventory(file, { home: tmp, cwd: tmp }).catch((e: unknown) => e)) as InventoryError;
    expect(err.details).toEqual([
      `nokh.yaml:4:5 nodes[0].knownHosts: expected a known_hosts file holding the nodes' host keys (the default), found "~/.ssh/known_hosts" (${path.join(tmp, '.ssh/known_hosts')}) which does not exist (used by 2 nodes); host keys are always verified — add them with ssh-keyscan after checking the fingerprints, or set knownHosts`,
    ]);
  });

  it('Ansible: a missing default known_hosts points at the host line and names emqx_rollout_known_hosts', async () => {
    const file = path.join(tmp, 'nokh-ansible.yaml');
    writeFileSync(
      file,
      'all:\n  children:\n    emqx:\n      vars:\n        ansible_user: u\n      hosts:\n        n1:\n        n2:\n',
    );
    const err = (await loadInventory(file, { home: tmp, cwd: tmp }).catch((e: unknown) => e)) as InventoryError;
    expect(err).toBeInstanceOf(InventoryError);
    expect(err.details).toEqual([
      `nokh-ansible.yaml:7:9 all.children.emqx.hosts.n1: expected a known_hosts file holding the nodes' host keys (the default), found "~/.ssh/known_hosts" (${path.join(tmp, '.ssh/known_hosts')}) which does not exist (used by 2 nodes); host keys are always verified — add them with ssh-keyscan after checking the fingerprints, or set emqx_rollout_known_hosts to a known_hosts file that has them (e.g. under all.vars)`,
    ]);
  });

  it('rejects numbers where a string is expected (YAML would read 1.10 as 1.1); quoted, they are kept as written', () => {
    let err: unknown;
    try {
      parseInventory('cluster: 1.10\ndefaults: {user: 1000}\nnodes: [{name: a@b, host: 10}]\n', 'x.yaml', {
        home: '/h',
        cwd: '/w',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as InventoryError).details).toEqual([
      'x.yaml:1:10 cluster: expected a string, found 1.10 (a number; quote it if you mean the text "1.10")',
      'x.yaml:2:18 defaults.user: expected a string, found 1000 (a number; quote it if you mean the text "1000")',
      'x.yaml:3:27 nodes[0].host: expected a string, found 10 (a number; quote it if you mean the text "10")',
    ]);
    const inv = parseInventory(
      'cluster: "1.10"\ndefaults: {user: "1000"}\nnodes: [{name: a@b, host: "10"}]\n',
      'x.yaml',
      { home: '/h', cwd: '/w' },
    );
    expect(inv.cluster).toBe('1.10');
    expect(inv.nodes[0].user).toBe('1000');
    expect(inv.nodes[0].host).toBe('10');
  });
});
