// Inventory keys of real installs (PRODUCT.md "Real installs"): dataDir/etcDir/logDir, become,
// becomeUser — defaults, node-over-defaults, and file:line:col errors.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/inventory/errors.js';
import { parseInventory } from '../../src/inventory/load.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = { home: '/h', cwd: repo };
const parse = (y: string) => parseInventory(y, path.join(repo, 'inv.yaml'), env);
const problems = (y: string): string[] => {
  try {
    parse(y);
  } catch (e) {
    if (e instanceof InventoryError) return [...e.details];
    throw e;
  }
  throw new Error('expected the inventory to be rejected');
};

describe('real-install inventory keys', () => {
  it('leaves them unset by default (discovered later), and sets becomeUser only with become', () => {
    const inv = parse('cluster: c\ndefaults: {user: u, becomeUser: emqx}\nnodes: [{name: a@b, host: b}]\n');
    const n = inv.nodes[0];
    expect(n.dataDir).toBeUndefined();
    expect(n.etcDir).toBeUndefined();
    expect(n.logDir).toBeUndefined();
    expect(n.become).toBeUndefined();
    expect(n.becomeUser).toBeUndefined();
    expect('dataDir' in n).toBe(false);
  });

  it('reads the package layout and sudo from defaults, a node overriding', () => {
    const inv = parse(
      [
        'cluster: c',
        'defaults: {user: ops, rootDir: /usr/lib/emqx, dataDir: /var/lib/emqx/, etcDir: /etc/emqx, logDir: /var/log/emqx, become: sudo}',
        'nodes:',
        '  - {name: a@b, host: b}',
        '  - {name: a@c, host: c, becomeUser: emqx, dataDir: /data/emqx}',
        '',
      ].join('\n'),
    );
    expect(inv.nodes[0]).toMatchObject({
      rootDir: '/usr/lib/emqx',
      dataDir: '/var/lib/emqx',
      etcDir: '/etc/emqx',
      logDir: '/var/log/emqx',
      become: 'sudo',
      becomeUser: 'root',
    });
    expect(inv.nodes[1]).toMatchObject({ dataDir: '/data/emqx', become: 'sudo', becomeUser: 'emqx' });
  });

  it.each([
    [
      'dataDir: var/lib/emqx',
      'nodes[0].dataDir: expected an absolute path on the node (starting with /), found "var/lib/emqx"',
    ],
    [
      'etcDir: /etc/../emqx',
      'nodes[0].etcDir: expected an absolute path without ".." or control characters, found "/etc/../emqx"',
    ],
    ['logDir: 5', 'nodes[0].logDir: expected a string, found 5'],
    [
      'become: su',
      'nodes[0].become: expected `sudo` (the only privilege method), found "su"; omit the key to run as the SSH user',
    ],
    ['become: true', 'nodes[0].become: expected `sudo` (the only privilege method), found true; write `become: sudo`'],
    [
      'becomeUser: "emqx user"',
      'nodes[0].becomeUser: expected a user name on the node such as root or emqx, found "emqx user"',
    ],
  ])('rejects %s with file:line:col', (kv, msg) => {
    const ps = problems(`cluster: c\ndefaults: {user: u}\nnodes:\n  - name: a@b\n    host: b\n    ${kv}\n`);
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatch(/^inv\.yaml:6:\d+ /);
    expect(ps[0]).toContain(msg);
  });
});
