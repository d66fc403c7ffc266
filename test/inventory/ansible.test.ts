// Our reading of Ansible YAML inventories against Ansible's own: every inventory of
// test/inventory/ansible/ is resolved by us and by `ansible-inventory -i FILE --list`, and the
// nodes compared field by field. From Ansible's host vars a node is what its ssh connection plugin
// would use: for two names of one setting the legacy ansible_ssh_* one wins when both are defined
// (the last defined entry of the plugin's `vars:` list; checked with `ansible -vvv`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/inventory/errors.js';
import { NODE_DEFAULTS } from '../../src/inventory/fields.js';
import { loadInventory } from '../../src/inventory/load.js';
import { parseHostPattern } from '../../src/inventory/ansible.js';
import { haveAnsible } from '../support/oracles.js';
import { makeHome } from './home.js';

const corpus = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ansible');
const ANSIBLE = haveAnsible();
const h = makeHome();
afterAll(() => h.cleanup());
const USER = 'localop';
const env = { home: h.home, cwd: corpus, user: USER, sshConfigFile: 'none' };

type Vars = Record<string, unknown>;
interface AnsibleList {
  _meta: { hostvars: Record<string, Vars> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList['_meta'];
}

function ansibleList(file: string): AnsibleList {
  const r = spawnSync('ansible-inventory', ['-i', file, '--list'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ANSIBLE_INVENTORY_ENABLED: 'yaml', ANSIBLE_LOCAL_TEMP: os.tmpdir(), HOME: h.home },
  });
  if (r.status !== 0) throw new Error(`ansible-inventory -i ${file} --list failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as AnsibleList;
}

/** Every host of a group, nested children included, as ansible-inventory lists them. */
function groupHosts(list: AnsibleList, g: string): string[] {
  const e = list[g] as { hosts?: string[]; children?: string[] } | undefined;
  return [...(e?.hosts ?? []), ...(e?.children ?? []).flatMap((c) => groupHosts(list, c))];
}

function expected(list: AnsibleList) {
  const hv = list._meta.hostvars;
  let hosts = Object.keys(hv).filter((n) => hv[n].emqx_rollout_cluster !== undefined);
  if (hosts.length === 0) {
    const emqx = Object.keys(list).filter((g) => /emqx/i.test(g));
    expect(emqx).toHaveLength(1);
    hosts = [...new Set(groupHosts(list, emqx[0]))];
  }
  return hosts
    .map((n) => {
      const v = hv[n];
      const pick = (...names: string[]) => names.map((k) => v[k]).find((x) => x !== undefined);
      const host = String(pick('ansible_ssh_host', 'ansible_host') ?? n);
      return {
        name: String(v.emqx_rollout_node_name ?? `emqx@${host}`),
        host,
        port: Number(pick('ansible_ssh_port', 'ansible_port') ?? 22),
        user: String(pick('ansible_ssh_user', 'ansible_user') ?? USER),
        rootDir: String(v.emqx_rollout_root_dir ?? NODE_DEFAULTS.rootDir),
        stagingDir: String(v.emqx_rollout_staging_dir ?? NODE_DEFAULTS.stagingDir),
        backupDir: String(v.emqx_rollout_backup_dir ?? NODE_DEFAULTS.backupDir),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const files = readdirSync(corpus)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe.skipIf(!ANSIBLE)('Ansible YAML inventories resolve as ansible-inventory resolves them', () => {
  it('the corpus has the cases it claims', () => {
    expect(files).toEqual([
      'hostport.yaml',
      'legacy.yaml',
      'nested.yaml',
      'plain.yaml',
      'priority.yaml',
      'ranges.yaml',
    ]);
  });

  for (const f of files) {
    it(f, async () => {
      const file = path.join(corpus, f);
      const want = expected(ansibleList(file));
      const inv = await loadInventory(file, env);
      const got = inv.nodes
        .map((n) => ({
          name: n.name,
          host: n.host,
          port: n.port,
          user: n.user,
          rootDir: n.rootDir,
          stagingDir: n.stagingDir,
          backupDir: n.backupDir,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(got).toEqual(want);
    });
  }
});

describe('Ansible constructs we do not read are refused, never resolved differently', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emqx-rollout-ansible-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const refused = async (name: string, text: string, extra?: () => void) => {
    const sub = path.join(dir, name);
    mkdirSync(sub);
    writeFileSync(path.join(sub, 'hosts.yaml'), text);
    extra?.();
    const e = await loadInventory(path.join(sub, 'hosts.yaml'), env).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InventoryError);
    return (e as InventoryError).problems.map((p) => p.message).join('\n');
  };

  it('group_vars/ or host_vars/ next to the inventory', async () => {
    const msg = await refused('gv', 'all:\n  hosts:\n    a:\n', () => mkdirSync(path.join(dir, 'gv', 'group_vars')));
    expect(msg).toMatch(/group_vars\/, which emqx-rollout does not/);
  });

  it('a vault-encrypted value we would read', async () => {
    const msg = await refused(
      'vault',
      'all:\n  hosts:\n    a:\n      ansible_host: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        3133\n',
    );
    expect(msg).toMatch(/Vault/);
  });

  it('a malformed host range', async () => {
    expect(await refused('range', 'all:\n  hosts:\n    n[01:3]:\n')).toMatch(/equal-length/);
  });

  it('host patterns as Ansible parses them', () => {
    expect(parseHostPattern('h:2222')).toEqual({ ok: true, names: ['h'], port: '2222' });
    expect(parseHostPattern('n[1:3]')).toEqual({ ok: true, names: ['n1', 'n2', 'n3'], port: undefined });
    expect(parseHostPattern('n[08:10]x:22')).toEqual({ ok: true, names: ['n08x', 'n09x', 'n10x'], port: '22' });
    expect(parseHostPattern('[a:b]-[1:2]')).toEqual({ ok: true, names: ['a-1', 'a-2', 'b-1', 'b-2'], port: undefined });
    expect(parseHostPattern('fe80::1')).toEqual({ ok: true, names: ['fe80::1'], port: undefined });
    expect(parseHostPattern('[fe80::1]:2200')).toEqual({ ok: true, names: ['fe80::1'], port: '2200' });
  });
});
