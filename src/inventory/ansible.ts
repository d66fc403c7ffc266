// Ansible YAML inventories (`-i hosts.yaml`) → our positioned tree, validated by the same code.
//
// Which hosts are EMQX nodes: every host whose variables (after Ansible's inheritance: `all` vars,
// then group vars by depth and name, then host vars) define `emqx_rollout_cluster`. Set it in the
// vars of the group that holds the EMQX nodes; other hosts (bastions, databases) are ignored. All
// selected hosts must name the same cluster: one run rolls one cluster.
//
// Per host:  ansible_host → host (default: the inventory host name) · ansible_port → port ·
//   ansible_user → user · ansible_ssh_private_key_file → identityFile ·
//   emqx_rollout_node_name → name (default emqx@<host>) · emqx_rollout_known_hosts → knownHosts ·
//   emqx_rollout_jump → jump (else `-J x` / `-o ProxyJump=x` in ansible_ssh_common_args) ·
//   emqx_rollout_root_dir / _staging_dir / _backup_dir → rootDir / stagingDir / backupDir.
// Cluster-wide (must resolve to the same setting on every node):
//   emqx_rollout_cluster · emqx_rollout_gates · emqx_rollout_restart · emqx_rollout_window — the
//   last three take the same mappings as `gates`, `restart`, `window` in our own format.
// Example: inventories/ansible-example.yaml.
import type { Pos, Problem } from './errors.js';
import type { NodeKey } from './fields.js';
import { Problems, checkKeys } from './read.js';
import { unknownKeyMessage } from './suggest.js';
import { childPath, describe, type REntry, type RMap, type RNode, type RScalar } from './tree.js';
import type { Dialect } from './validate.js';

export const PREFIX = 'emqx_rollout_';

/** Our node field → the Ansible variables that set it, preferred first. */
export const ANSIBLE_NODE_VARS: Readonly<Record<NodeKey, readonly string[]>> = {
  name: ['emqx_rollout_node_name'],
  host: ['ansible_host', 'ansible_ssh_host'],
  port: ['ansible_port', 'ansible_ssh_port'],
  user: ['ansible_user', 'ansible_ssh_user'],
  identityFile: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  knownHosts: ['emqx_rollout_known_hosts'],
  jump: ['emqx_rollout_jump'],
  rootDir: ['emqx_rollout_root_dir'],
  stagingDir: ['emqx_rollout_staging_dir'],
  backupDir: ['emqx_rollout_backup_dir'],
};

export const ANSIBLE_CLUSTER_VARS = {
  cluster: 'emqx_rollout_cluster',
  gates: 'emqx_rollout_gates',
  restart: 'emqx_rollout_restart',
  window: 'emqx_rollout_window',
} as const;

/** Every `emqx_rollout_*` variable we read; any other one is a typo. */
export const ANSIBLE_OWN_VARS: readonly string[] = [
  ...Object.values(ANSIBLE_NODE_VARS).flat().filter((v) => v.startsWith(PREFIX)),
  ...Object.values(ANSIBLE_CLUSTER_VARS),
];

const GROUP_KEYS = ['hosts', 'children', 'vars'];

export const ANSIBLE: Dialect = {
  fieldPath: (nodePath, key) => childPath(nodePath, ANSIBLE_NODE_VARS[key][0]),
  userHint: () => 'set ansible_user in the host vars or in the vars of one of its groups',
};

interface VarDef {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: RNode;
}
interface Group {
  depth: number;
  vars: RMap[];
}
interface Host {
  readonly name: string;
  readonly pos: Pos;
  readonly path: string;
  readonly groups: Set<string>;
  readonly vars: RMap[];
}

/** Does this top-level mapping look like an Ansible inventory rather than ours? */
export function looksLikeAnsible(root: RNode): boolean {
  if (root.kind !== 'map') return false;
  if (root.entries.some((e) => e.key === 'nodes')) return false;
  if (root.entries.some((e) => e.key === 'all')) return true;
  return root.entries.some(
    (e) => e.value.kind === 'map' && e.value.entries.some((x) => x.key === 'hosts' || x.key === 'children'),
  );
}

export interface AnsibleConversion {
  readonly tree: RNode | undefined;
  readonly problems: readonly Problem[];
}

export function ansibleToTree(root: RNode): AnsibleConversion {
  const ps = new Problems();
  const groups = new Map<string, Group>();
  const hosts = new Map<string, Host>();

  const checkVarNames = (vars: RMap) => {
    for (const e of vars.entries)
      if (e.key.startsWith(PREFIX) && !ANSIBLE_OWN_VARS.includes(e.key))
        ps.at(e.keyPos, childPath(vars.path, e.key), unknownKeyMessage(e.key, ANSIBLE_OWN_VARS));
  };

  const walkGroup = (name: string, node: RNode, depth: number, chain: readonly string[]) => {
    const g = groups.get(name) ?? { depth, vars: [] };
    g.depth = Math.max(g.depth, depth);
    groups.set(name, g);
    if (node.kind === 'scalar' && node.value === null) return;
    if (node.kind !== 'map') {
      ps.on(node, `expected a group mapping with hosts, children or vars, found ${describe(node)}`);
      return;
    }
    checkKeys(node, GROUP_KEYS, ps, (e) => childPath(node.path, e.key));
    const here = [...chain, name];
    for (const e of node.entries) {
      if (e.key === 'vars') {
        if (e.value.kind === 'map') {
          g.vars.push(e.value);
          checkVarNames(e.value);
        } else if (!(e.value.kind === 'scalar' && e.value.value === null))
          ps.on(e.value, `expected a mapping of variables, found ${describe(e.value)}`);
      } else if (e.key === 'hosts') {
        if (e.value.kind === 'scalar' && e.value.value === null) continue;
        if (e.value.kind !== 'map') {
          ps.on(e.value, `expected a mapping of host names (host: or host: {vars}), found ${describe(e.value)}`);
          continue;
        }
        for (const h of e.value.entries) {
          const hp = childPath(e.value.path, h.key);
          if (/\[[^\]]*:[^\]]*\]/.test(h.key)) {
            ps.at(h.keyPos, hp, `host ranges such as web[01:03] are not expanded by emqx-rollout; list each host`);
            continue;
          }
          const host = hosts.get(h.key) ?? { name: h.key, pos: h.keyPos, path: hp, groups: new Set<string>(), vars: [] };
          hosts.set(h.key, host);
          for (const gname of here) host.groups.add(gname);
          if (h.value.kind === 'map') {
            host.vars.push(h.value);
            checkVarNames(h.value);
          } else if (!(h.value.kind === 'scalar' && h.value.value === null))
            ps.on(h.value, `expected a mapping of host variables (or nothing), found ${describe(h.value)}`);
        }
      } else if (e.key === 'children') {
        if (e.value.kind === 'scalar' && e.value.value === null) continue;
        if (e.value.kind !== 'map') {
          ps.on(e.value, `expected a mapping of child groups, found ${describe(e.value)}`);
          continue;
        }
        for (const c of e.value.entries) {
          if (here.includes(c.key)) {
            ps.at(c.keyPos, childPath(e.value.path, c.key), `group "${c.key}" contains itself`);
            continue;
          }
          walkGroup(c.key, c.value, depth + 1, here);
        }
      }
    }
  };

  if (root.kind !== 'map') {
    ps.on(root, `expected an Ansible inventory mapping (all: {hosts, children, vars}), found ${describe(root)}`);
    return { tree: undefined, problems: ps.list };
  }
  for (const e of root.entries) walkGroup(e.key, e.value, e.key === 'all' ? 0 : 1, e.key === 'all' ? [] : ['all']);

  /** Ansible's precedence: all < groups by (depth, name) < host vars; later wins. */
  const resolve = (h: Host): Map<string, VarDef> => {
    const order = [...h.groups, 'all']
      .filter((g, i, a) => a.indexOf(g) === i && groups.has(g))
      .sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : groups.get(a)!.depth - groups.get(b)!.depth || a.localeCompare(b)));
    const out = new Map<string, VarDef>();
    const apply = (m: RMap) => {
      for (const e of m.entries) out.set(e.key, e);
    };
    for (const g of order) groups.get(g)!.vars.forEach(apply);
    h.vars.forEach(apply);
    return out;
  };

  const members: { host: Host; vars: Map<string, VarDef> }[] = [];
  for (const h of hosts.values()) {
    const vars = resolve(h);
    if (vars.has(ANSIBLE_CLUSTER_VARS.cluster)) members.push({ host: h, vars });
  }
  if (members.length === 0) {
    ps.at(root.pos, ANSIBLE_CLUSTER_VARS.cluster,
      `no host has emqx_rollout_cluster; set it in the vars of the group that holds the EMQX nodes (see inventories/ansible-example.yaml)`);
    return { tree: undefined, problems: ps.list };
  }

  // Cluster-wide settings must be one definition shared by every node, not per-host variants.
  const clusterEntries: REntry[] = [];
  for (const [ours, varName] of Object.entries(ANSIBLE_CLUSTER_VARS)) {
    const first = members.find((m) => m.vars.has(varName));
    if (!first) continue;
    const def = first.vars.get(varName)!;
    for (const m of members) {
      const d = m.vars.get(varName);
      if (d === def) continue;
      const same = ours === 'cluster' && d && sameScalar(d.value, def.value);
      if (same) continue;
      const where = d ? d.value : { pos: m.host.pos, path: childPath(m.host.path, varName) };
      ps.at(where.pos, where.path,
        ours === 'cluster'
          ? `hosts name different clusters (${describe(def.value)} at line ${def.value.pos.line}, ${describe(d?.value)} here); one inventory run rolls one cluster — split the inventory or move the var`
          : `${varName} must be the same for every node of the cluster (first set at line ${def.value.pos.line}); set it once in the cluster group's vars`);
    }
    clusterEntries.push({ key: ours, keyPos: def.keyPos, value: def.value });
  }

  const nodeItems: RMap[] = members.map(({ host, vars }) => {
    const entries: REntry[] = [];
    for (const [ours, names] of Object.entries(ANSIBLE_NODE_VARS) as [NodeKey, readonly string[]][]) {
      const d = names.map((n) => vars.get(n)).find((x) => x !== undefined);
      if (d) {
        if (d.value.kind === 'scalar' && typeof d.value.value === 'string' && d.value.value.includes('{{'))
          ps.on(d.value, `Jinja templates are not evaluated by emqx-rollout; write the value itself, found ${describe(d.value)}`);
        entries.push({ key: ours, keyPos: d.keyPos, value: d.value });
      }
    }
    const hostEntry = entries.find((e) => e.key === 'host');
    const hostName = hostEntry && hostEntry.value.kind === 'scalar' && hostEntry.value.value !== null ? String(hostEntry.value.value) : host.name;
    if (!hostEntry) entries.push({ key: 'host', keyPos: host.pos, value: synth(host.pos, host.path, host.name) });
    if (!entries.some((e) => e.key === 'name'))
      entries.push({ key: 'name', keyPos: host.pos, value: synth(host.pos, childPath(host.path, 'emqx_rollout_node_name'), `emqx@${hostName}`) });
    if (!entries.some((e) => e.key === 'jump')) {
      const common = vars.get('ansible_ssh_common_args');
      if (common && common.value.kind === 'scalar' && typeof common.value.value === 'string') {
        const s = common.value.value;
        const m = s.match(/(?:-J\s*|-o\s*ProxyJump[= ]\s*)(\S+)/);
        if (m) entries.push({ key: 'jump', keyPos: common.keyPos, value: synth(common.value.pos, common.value.path, m[1].replace(/^["']|["']$/g, '')) });
        else if (/ProxyCommand/i.test(s))
          ps.on(common.value, 'ProxyCommand is not supported; set emqx_rollout_jump to the jump host chain ([user@]host[:port], comma-separated)');
      }
    }
    return { kind: 'map', pos: host.pos, path: host.path, entries };
  });

  const tree: RMap = {
    kind: 'map',
    pos: root.pos,
    path: '',
    entries: [...clusterEntries.filter((e) => e.key === 'cluster'),
      { key: 'nodes', keyPos: root.pos, value: { kind: 'seq', pos: root.pos, path: 'hosts', items: nodeItems } },
      ...clusterEntries.filter((e) => e.key !== 'cluster')],
  };
  return { tree, problems: ps.list };
}

function synth(pos: Pos, path: string, value: string): RScalar {
  return { kind: 'scalar', pos, path, value, text: value };
}

function sameScalar(a: RNode, b: RNode): boolean {
  return a.kind === 'scalar' && b.kind === 'scalar' && String(a.value) === String(b.value);
}

