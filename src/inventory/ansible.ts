// Ansible YAML inventories (`-i hosts.yaml`) → our positioned tree, validated by the same code.
// A plain Ansible inventory works as it is; `emqx_rollout_*` variables refine it and always win.
//
// Which hosts are EMQX nodes:
//  1. If any host's variables (after Ansible's inheritance: `all` vars, then group vars by depth
//     and name, then host vars) define `emqx_rollout_cluster`: exactly those hosts. Other hosts
//     (bastions, databases) are ignored; all selected hosts must name the same cluster.
//  2. Otherwise the top-level groups decide — the groups under `all.children`, any other top-level
//     key, and Ansible's implicit `ungrouped` (hosts in no group but `all`), counting only groups
//     that hold a host. With two or more of them, if exactly one has a name containing "emqx"
//     (any case): that group's hosts, nested groups included.
//  3. Otherwise every host of the inventory.
// Cluster name: emqx_rollout_cluster; else the name of the one group the nodes come from (the
// group picked in 2, or the only top-level group in 3 unless that is `ungrouped`); else the
// inventory file's base name without extension (hosts.yaml → hosts). Either is sanitised to
// [A-Za-z0-9._-]+ (other characters → "-"; "emqx" if nothing is left).
//
// Per host:  ansible_host → host (default: the inventory host name) · ansible_port → port
//   (default 22) · ansible_user → user (default: the local user, as Ansible does) ·
//   ansible_ssh_private_key_file / ansible_private_key_file → identityFile (default: ssh-agent) ·
//   emqx_rollout_node_name → name (default emqx@<host>) · emqx_rollout_known_hosts → knownHosts
//   (default ~/.ssh/known_hosts) · emqx_rollout_jump → jump (else `-J x` / `-o ProxyJump=x` in
//   ansible_ssh_common_args) · emqx_rollout_root_dir / _staging_dir / _backup_dir → rootDir /
//   stagingDir / backupDir (defaults /opt/emqx, /opt/upgrade, /var/backups/emqx).
// Cluster-wide (must resolve to the same setting on every node):
//   emqx_rollout_cluster · emqx_rollout_gates · emqx_rollout_restart · emqx_rollout_window — the
//   last three take the same mappings as `gates`, `restart`, `window` in our own format.
// Examples: inventories/ansible-plain.yaml, inventories/ansible-example.yaml.
import path from 'node:path';
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
  dataDir: ['emqx_rollout_data_dir'],
  etcDir: ['emqx_rollout_etc_dir'],
  logDir: ['emqx_rollout_log_dir'],
  become: ['emqx_rollout_become'],
  becomeUser: ['emqx_rollout_become_user'],
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
/** Ansible's implicit group of hosts that belong to no group but `all`. */
const UNGROUPED = 'ungrouped';
/** A group whose name contains this is preferred as the cluster when the inventory has several. */
const EMQX_GROUP = /emqx/i;
const FALLBACK_CLUSTER = 'emqx';

export const ANSIBLE: Dialect = {
  fieldPath: (nodePath, key) => childPath(nodePath, ANSIBLE_NODE_VARS[key][0]),
  userHint: () => 'set ansible_user in the host vars or in the vars of one of its groups',
  // The host's own line: emqx_rollout_known_hosts is not in the file, so no path to it exists.
  defaultedPath: (nodePath) => nodePath,
  knownHostsHint: 'set emqx_rollout_known_hosts to a known_hosts file that has them (e.g. under all.vars)',
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

/** `file`: the inventory's absolute path; its base name is the last-resort cluster name. */
export function ansibleToTree(root: RNode, file: string): AnsibleConversion {
  const ps = new Problems();
  /** Top-level group name → where its key is written. */
  const topLevel = new Map<string, Pos>();
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
          if (name === 'all' && chain.length === 0 && !topLevel.has(c.key)) topLevel.set(c.key, c.keyPos);
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
  for (const e of root.entries) {
    if (e.key !== 'all' && !topLevel.has(e.key)) topLevel.set(e.key, e.keyPos);
    walkGroup(e.key, e.value, e.key === 'all' ? 0 : 1, e.key === 'all' ? [] : ['all']);
  }

  /** Ansible's precedence: all < groups by (depth, name) < host vars; later wins. */
  const resolve = (h: Host): Map<string, VarDef> => {
    const order = [...h.groups, 'all']
      .filter((g, i, a) => a.indexOf(g) === i && groups.has(g))
      .sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : groups.get(a)!.depth - groups.get(b)!.depth || a.localeCompare(b)));
    const out = new Map<string, VarDef>();
    // delete + set: the map's order is then the order of precedence, which picks between aliases.
    const apply = (m: RMap) => {
      for (const e of m.entries) {
        out.delete(e.key);
        out.set(e.key, e);
      }
    };
    for (const g of order) groups.get(g)!.vars.forEach(apply);
    h.vars.forEach(apply);
    return out;
  };

  if (hosts.size === 0) {
    ps.at(root.pos, 'all.hosts', `expected at least one host (under all.hosts or a group's hosts), found none`);
    return { tree: undefined, problems: ps.list };
  }
  const resolved = [...hosts.values()].map((host) => ({ host, vars: resolve(host) }));
  let members = resolved.filter((m) => m.vars.has(ANSIBLE_CLUSTER_VARS.cluster));
  /** Set when the cluster name is not written: where and what the default came from. */
  let defaultCluster: { pos: Pos; name: string } | undefined;
  if (members.length === 0) {
    const pick = pickNodeGroup(resolved.map((m) => m.host), topLevel);
    members = pick.group === undefined ? resolved : resolved.filter((m) => m.host.groups.has(pick.group!) || (pick.group === UNGROUPED && isUngrouped(m.host)));
    defaultCluster = pick.source !== undefined
      ? { pos: topLevel.get(pick.source) ?? root.pos, name: sanitizeCluster(pick.source) }
      : { pos: root.pos, name: sanitizeCluster(path.parse(file).name) };
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
      // Aliases (ansible_ssh_private_key_file / ansible_private_key_file): the most specific wins.
      const order = [...vars.keys()];
      const d = names
        .filter((n) => vars.has(n))
        .sort((a, b) => order.indexOf(b) - order.indexOf(a))
        .map((n) => vars.get(n))[0];
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

  if (defaultCluster)
    clusterEntries.unshift({
      key: 'cluster',
      keyPos: defaultCluster.pos,
      value: synth(defaultCluster.pos, ANSIBLE_CLUSTER_VARS.cluster, defaultCluster.name),
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


function isUngrouped(h: Host): boolean {
  return [...h.groups].every((g) => g === 'all' || g === UNGROUPED);
}

/**
 * Rules 2 and 3 of the header: `group` narrows the nodes to one top-level group (undefined → every
 * host); `source` is the group the nodes come from, whose name becomes the default cluster name.
 */
function pickNodeGroup(
  hosts: readonly Host[],
  topLevel: ReadonlyMap<string, Pos>,
): { group: string | undefined; source: string | undefined } {
  const candidates = [...topLevel.keys()].filter((g) => g !== 'all' && hosts.some((h) => h.groups.has(g)));
  if (hosts.some(isUngrouped) && !candidates.includes(UNGROUPED)) candidates.push(UNGROUPED);
  const emqx = candidates.filter((g) => EMQX_GROUP.test(g));
  if (candidates.length >= 2 && emqx.length === 1) return { group: emqx[0], source: emqx[0] };
  const only = candidates.length === 1 && candidates[0] !== UNGROUPED ? candidates[0] : undefined;
  return { group: undefined, source: only };
}

/** A cluster name (it names the directory .emqx-rollout/<cluster>) from a group or file name. */
export function sanitizeCluster(raw: string): string {
  const s = raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return s === '' ? FALLBACK_CLUSTER : s;
}
