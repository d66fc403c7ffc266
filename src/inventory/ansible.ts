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

/** Where a field has two Ansible names, the one that wins when both are defined (first). */
const ANSIBLE_ALIAS_WINNER: Partial<Record<NodeKey, readonly string[]>> = {
  host: ['ansible_ssh_host', 'ansible_host'],
  port: ['ansible_ssh_port', 'ansible_port'],
  user: ['ansible_ssh_user', 'ansible_user'],
  identityFile: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
};

export const ANSIBLE_CLUSTER_VARS = {
  cluster: 'emqx_rollout_cluster',
  gates: 'emqx_rollout_gates',
  restart: 'emqx_rollout_restart',
  window: 'emqx_rollout_window',
} as const;

/** `defaults.sshConfig` of our format; read from `all.vars` only (load.ts). */
export const ANSIBLE_SSH_CONFIG_VAR = 'emqx_rollout_ssh_config';

/** Every `emqx_rollout_*` variable we read; any other one is a typo. */
export const ANSIBLE_OWN_VARS: readonly string[] = [
  ...Object.values(ANSIBLE_NODE_VARS)
    .flat()
    .filter((v) => v.startsWith(PREFIX)),
  ...Object.values(ANSIBLE_CLUSTER_VARS),
  ANSIBLE_SSH_CONFIG_VAR,
];

const GROUP_KEYS = ['hosts', 'children', 'vars'];
const GROUP_PRIORITY = 'ansible_group_priority';
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
  /** ansible_group_priority (default 1): among groups of one depth, a higher one wins. */
  priority: number;
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
    const g = groups.get(name) ?? { depth, vars: [], priority: 1 };
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
          const pr = e.value.entries.find((v) => v.key === GROUP_PRIORITY);
          if (pr) {
            const n = pr.value.kind === 'scalar' ? Number(pr.value.value) : NaN;
            if (Number.isInteger(n)) g.priority = n;
            else ps.on(pr.value, `expected an integer group priority, found ${describe(pr.value)}`);
          }
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
          // As Ansible reads a host key: `name:port` (port split off), then ranges such as web[01:03].
          const parsed = parseHostPattern(h.key);
          if (!parsed.ok) {
            ps.at(h.keyPos, hp, parsed.message);
            continue;
          }
          for (const name of parsed.names) {
            const host = hosts.get(name) ?? {
              name,
              pos: h.keyPos,
              path: childPath(e.value.path, name),
              groups: new Set<string>(),
              vars: [],
            };
            hosts.set(name, host);
            for (const gname of here) host.groups.add(gname);
            // The port of `host:port` is a host var set before the host's own vars (which override it).
            if (parsed.port !== undefined)
              host.vars.push({
                kind: 'map',
                pos: h.keyPos,
                path: hp,
                entries: [
                  {
                    key: 'ansible_port',
                    keyPos: h.keyPos,
                    value: synth(h.keyPos, hp, parsed.port, 'the port of the host key'),
                  },
                ],
              });
            if (h.value.kind === 'map') {
              host.vars.push(h.value);
              if (name === parsed.names[0]) checkVarNames(h.value);
            } else if (!(h.value.kind === 'scalar' && h.value.value === null))
              ps.on(h.value, `expected a mapping of host variables (or nothing), found ${describe(h.value)}`);
          }
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

  /** Ansible's precedence (sort_groups): all < groups by (depth, priority, name) < host vars; later wins. */
  const resolve = (h: Host): Map<string, VarDef> => {
    const order = [...h.groups, 'all']
      .filter((g, i, a) => a.indexOf(g) === i && groups.has(g))
      .sort((a, b) =>
        a === 'all'
          ? -1
          : b === 'all'
            ? 1
            : groups.get(a)!.depth - groups.get(b)!.depth ||
              groups.get(a)!.priority - groups.get(b)!.priority ||
              (a < b ? -1 : a > b ? 1 : 0),
      );
    const out = new Map<string, VarDef>();
    // delete + set: the map's order is then the order of precedence, which picks between aliases.
    const apply = (m: RMap) => {
      for (const e of m.entries) {
        if (e.key === GROUP_PRIORITY) continue; // Ansible keeps it as the group's priority, not a var
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
    const pick = pickNodeGroup(
      resolved.map((m) => m.host),
      topLevel,
    );
    members =
      pick.group === undefined
        ? resolved
        : resolved.filter((m) => m.host.groups.has(pick.group!) || (pick.group === UNGROUPED && isUngrouped(m.host)));
    defaultCluster =
      pick.source !== undefined
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
      ps.at(
        where.pos,
        where.path,
        ours === 'cluster'
          ? `hosts name different clusters (${describe(def.value)} at line ${def.value.pos.line}, ${describe(d?.value)} here); one inventory run rolls one cluster — split the inventory or move the var`
          : `${varName} must be the same for every node of the cluster (first set at line ${def.value.pos.line}); set it once in the cluster group's vars`,
      );
    }
    clusterEntries.push({ key: ours, keyPos: def.keyPos, value: def.value });
  }

  const nodeItems: RMap[] = members.map(({ host, vars }) => {
    const entries: REntry[] = [];
    for (const [ours, names] of Object.entries(ANSIBLE_NODE_VARS) as [NodeKey, readonly string[]][]) {
      // Aliases: as Ansible's ssh connection plugin resolves them — the last name of its `vars:` list
      // that is defined wins, at whatever level it is defined: ansible_ssh_host/_port/_user beat
      // ansible_host/_port/_user, ansible_ssh_private_key_file beats ansible_private_key_file
      // (verified with `ansible -vvv` on ansible-core 2.14).
      const d = (ANSIBLE_ALIAS_WINNER[ours] ?? names).filter((n) => vars.has(n)).map((n) => vars.get(n))[0];
      if (d) {
        if (d.value.kind === 'scalar' && typeof d.value.value === 'string' && d.value.value.includes('{{'))
          ps.on(
            d.value,
            `Jinja templates are not evaluated by emqx-rollout; write the value itself, found ${describe(d.value)}`,
          );
        else if (
          d.value.kind === 'scalar' &&
          typeof d.value.value === 'string' &&
          d.value.value.trimStart().startsWith('$ANSIBLE_VAULT')
        )
          ps.on(
            d.value,
            'Ansible Vault values are not decrypted by emqx-rollout; write the value itself (it is not a secret)',
          );
        entries.push({ key: ours, keyPos: d.keyPos, value: d.value });
      }
    }
    const hostEntry = entries.find((e) => e.key === 'host');
    const hostName =
      hostEntry && hostEntry.value.kind === 'scalar' && hostEntry.value.value !== null
        ? scalarText(hostEntry.value.value)
        : host.name;
    if (!hostEntry)
      entries.push({
        key: 'host',
        keyPos: host.pos,
        value: synth(host.pos, host.path, host.name, 'the inventory host name'),
      });
    if (!entries.some((e) => e.key === 'name'))
      entries.push({
        key: 'name',
        keyPos: host.pos,
        value: synth(host.pos, childPath(host.path, 'emqx_rollout_node_name'), `emqx@${hostName}`, 'emqx@ + host'),
      });
    if (!entries.some((e) => e.key === 'jump')) {
      const common = vars.get('ansible_ssh_common_args');
      if (common && common.value.kind === 'scalar' && typeof common.value.value === 'string') {
        const s = common.value.value;
        const m = s.match(/(?:-J\s*|-o\s*ProxyJump[= ]\s*)(\S+)/);
        if (m)
          entries.push({
            key: 'jump',
            keyPos: common.keyPos,
            value: synth(common.value.pos, common.value.path, m[1].replace(/^["']|["']$/g, '')),
          });
        else if (/ProxyCommand/i.test(s))
          ps.on(
            common.value,
            'ProxyCommand is not supported; set emqx_rollout_jump to the jump host chain ([user@]host[:port], comma-separated)',
          );
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
    entries: [
      ...clusterEntries.filter((e) => e.key === 'cluster'),
      { key: 'nodes', keyPos: root.pos, value: { kind: 'seq', pos: root.pos, path: 'hosts', items: nodeItems } },
      ...clusterEntries.filter((e) => e.key !== 'cluster'),
    ],
  };
  return { tree, problems: ps.list };
}

function synth(pos: Pos, path: string, value: string, derived?: string): RScalar {
  return { kind: 'scalar', pos, path, value, text: value, ...(derived ? { derived } : {}) };
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

type HostPattern = { ok: true; names: string[]; port: string | undefined } | { ok: false; message: string };

/**
 * A YAML inventory host key as Ansible reads it (parse_address with ranges, then
 * expand_hostname_range): `name`, `name:port`, `[v6]:port`, ranges `[01:03]`, `[a:c]`, `[1:9:2]`.
 */
export function parseHostPattern(key: string): HostPattern {
  let pattern = key;
  let port: string | undefined;
  const v6 = key.match(/^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/);
  if (v6 && v6[1].includes(':')) return { ok: true, names: [v6[1]], port: v6[2] };
  // A bare IPv6 address has several colons and no port; a range holds a colon inside brackets.
  const outside = key.replace(/\[[^\]]*\]/g, '');
  const colons = (outside.match(/:/g) ?? []).length;
  if (colons === 1) {
    const m = key.match(/^(.*):(\d+)$/);
    if (!m)
      return {
        ok: false,
        message: `host "${key}": expected name or name:port (a port of digits), as Ansible reads host keys`,
      };
    pattern = m[1]!;
    port = m[2];
  } else if (colons > 1 && key.includes('[')) {
    return { ok: false, message: `host "${key}": IPv6 with ranges is not supported by emqx-rollout; list each host` };
  }
  try {
    return { ok: true, names: /\[[^\]]*:[^\]]*\]/.test(pattern) ? expandRange(pattern) : [pattern], port };
  } catch (e) {
    return { ok: false, message: `host "${key}": ${(e as Error).message}` };
  }
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Ansible's expand_hostname_range (ansible/inventory/... /__init__.py), one range at a time. */
function expandRange(line: string): string[] {
  const open = line.indexOf('[');
  const close = line.indexOf(']', open);
  if (open < 0 || close < 0) return [line];
  const head = line.slice(0, open);
  const tail = line.slice(close + 1);
  const bounds = line.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3)
    throw new Error('a host range must be [begin:end] or [begin:end:step]');
  const beg = bounds[0] === '' ? '0' : bounds[0];
  const end = bounds[1];
  const step = bounds.length === 3 ? Number(bounds[2]) : 1;
  if (end === '') throw new Error('a host range needs an end');
  if (!Number.isInteger(step) || step < 1)
    throw new Error(`a host range step must be a positive integer, found "${bounds[2]}"`);
  let fill = (x: string | number) => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    if (beg.length !== end.length) throw new Error('host range must specify equal-length begin and end formats');
    fill = (x) => String(x).padStart(beg.length, '0');
  }
  const seq: (string | number)[] = [];
  const ib = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const ie = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new Error('host range must have begin <= end');
    for (let i = ib; i <= ie; i += step) seq.push(LETTERS[i]);
  } else {
    if (!/^\d+$/.test(beg) || !/^\d+$/.test(end))
      throw new Error(`host range bounds must be numbers or single letters, found [${bounds.join(':')}]`);
    for (let i = Number(beg); i <= Number(end); i += step) seq.push(i);
  }
  const out: string[] = [];
  for (const x of seq) {
    const h = head + fill(x) + tail;
    if (/\[[^\]]*:[^\]]*\]/.test(h)) out.push(...expandRange(h));
    else out.push(h);
  }
  return out;
}

function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
