// `inventory`: the resolved inventory — every node after defaults, Ansible vars and ssh_config —
// with where each value came from. Contacts no node; secrets (passphrases, key contents) are never
// read, let alone printed.
import { relative } from 'node:path';
import { InventoryError } from '../../inventory/errors.js';
import { explainInventory } from '../../inventory/load.js';
import type { JumpHost, NodeSpec } from '../../inventory/types.js';
import type { FieldSource, NodeSources } from '../../inventory/validate.js';
import { alignTable } from '../../ui/format.js';
import type { CliIO } from '../io.js';

export interface InventoryFlags {
  readonly inventory: string;
  readonly json: boolean;
}

/** One field's origin as `inventory --json` prints it. */
export interface SourceJson {
  /** node · defaults · ansible · ssh_config · default (built in) · derived (from another value) */
  readonly from: 'node' | 'defaults' | 'ansible' | 'ssh_config' | 'default' | 'derived';
  /** file:line where it is written. */
  readonly at?: string;
  /** The key: `nodes[0].port`, `defaults.user`, Ansible's variable name, ssh_config's keyword. */
  readonly key?: string;
  /** Ansible: the group or host whose vars set it. */
  readonly group?: string;
  readonly host?: string;
  /** ssh_config HostName: the alias written in the inventory. */
  readonly alias?: string;
  /** derived: how. */
  readonly how?: string;
}

const SSH_KEYWORD: Record<string, string> = {
  host: 'HostName',
  port: 'Port',
  user: 'User',
  identityFile: 'IdentityFile',
  knownHosts: 'UserKnownHostsFile',
  jump: 'ProxyJump',
};

/** `all.children.emqx.vars.ansible_user` → group emqx; `….hosts.n1.example.ansible_port` → host n1.example. */
function ansibleOwner(p: string): { group?: string; host?: string; key?: string } {
  const h = p.match(/(?:^|\.)hosts\.(.+)$/);
  if (h) {
    const rest = h[1];
    const dot = rest.lastIndexOf('.');
    // A var name has no dot; a host key may (10.0.0.11): the host's own line has no var suffix.
    const last = dot >= 0 ? rest.slice(dot + 1) : '';
    if (dot >= 0 && /^(ansible|emqx_rollout)_/.test(last)) return { host: rest.slice(0, dot), key: last };
    return { host: rest };
  }
  const g = p.match(/^(?:.*\.children\.|)([^.]+)\.vars\.([^.]+)$/);
  if (g) return { group: g[1], key: g[2] };
  return { key: p };
}

export function sourceJson(s: FieldSource, field: string, shown: string, format: string | undefined): SourceJson {
  switch (s.kind) {
    case 'ssh_config':
      return {
        from: 'ssh_config',
        at: `${s.file}:${s.line}`,
        key: SSH_KEYWORD[field],
        ...(s.alias ? { alias: s.alias } : {}),
      };
    case 'default':
      return { from: 'default' };
    default: {
      const at = `${shown}:${s.line}`;
      if (format === 'ansible') {
        const o = ansibleOwner(s.path);
        if (s.derived) return { from: 'derived', at, how: s.derived, ...(o.host ? { host: o.host } : {}) };
        return { from: 'ansible', at, ...o };
      }
      return { from: s.kind, at, key: s.path };
    }
  }
}

export function sourceText(s: SourceJson): string {
  switch (s.from) {
    case 'ssh_config':
      return `ssh_config ${s.at} (${s.key}${s.alias ? ` for ${s.alias}` : ''})`;
    case 'default':
      return 'built-in default';
    case 'derived':
      return `derived: ${s.how} (${s.at})`;
    case 'ansible':
      return `Ansible var ${s.key}${s.group ? ` of group ${s.group}` : s.host ? ` of host ${s.host}` : ''} (${s.at})`;
    default:
      return `${s.from === 'node' ? 'inventory node' : 'inventory defaults'} ${s.key} (${s.at})`;
  }
}

const jumpText = (j: readonly JumpHost[]) => j.map((h) => `${h.user ? `${h.user}@` : ''}${h.host}:${h.port}`).join(',');

const FIELDS = [
  'name',
  'host',
  'port',
  'user',
  'identityFile',
  'knownHosts',
  'jump',
  'rootDir',
  'stagingDir',
  'backupDir',
] as const;

export function nodeJson(n: NodeSpec, src: NodeSources | undefined, shown: string, format: string | undefined): object {
  const sources: Record<string, SourceJson> = {};
  for (const f of FIELDS) if (src?.[f]) sources[f] = sourceJson(src[f], f, shown, format);
  if (n.proxyCommand && sources.jump?.from === 'ssh_config') sources.jump = { ...sources.jump, key: 'ProxyCommand' };
  // Fields other helpers add to NodeSpec (become, dataDir, …) are shown when set, never invented here.
  const extra = Object.fromEntries(
    Object.entries(n).filter(
      ([k]) =>
        !(FIELDS as readonly string[]).includes(k) &&
        !['moreIdentityFiles', 'identitiesOnly', 'proxyCommand'].includes(k),
    ),
  );
  return {
    name: n.name,
    host: n.host,
    port: n.port,
    user: n.user,
    identityFile: n.identityFile ?? null,
    ...(n.moreIdentityFiles?.length ? { moreIdentityFiles: n.moreIdentityFiles } : {}),
    ...(n.identitiesOnly !== undefined ? { identitiesOnly: n.identitiesOnly } : {}),
    knownHosts: n.knownHosts,
    ...(n.proxyCommand ? { proxyCommand: n.proxyCommand } : {}),
    jump: n.jump.map((j) => ({
      user: j.user ?? n.user,
      host: j.host,
      port: j.port,
      ...(j.identityFile ? { identityFile: j.identityFile } : {}),
      ...(j.knownHosts ? { knownHosts: j.knownHosts } : {}),
      ...(j.proxyCommand ? { proxyCommand: j.proxyCommand } : {}),
    })),
    rootDir: n.rootDir,
    stagingDir: n.stagingDir,
    backupDir: n.backupDir,
    ...extra,
    sources,
  };
}

export async function inventoryCommand(io: CliIO, f: InventoryFlags): Promise<void> {
  const a = await explainInventory(f.inventory, { home: io.home, cwd: io.cwd, sshConfigFile: io.sshConfigFile });
  if (!a.inventory || a.problems.length) throw new InventoryError(a.shown, a.problems);
  const inv = a.inventory;
  const nodes = inv.nodes.map(
    (n, i) =>
      nodeJson(n, a.sources?.[i], a.shown, a.format) as Record<string, unknown> & {
        sources: Record<string, SourceJson>;
      },
  );
  if (f.json) {
    io.stdout.write(
      `${JSON.stringify({ cluster: inv.cluster, file: inv.file, format: a.format, sshConfig: a.sshConfigFile ?? null, nodes })}\n`,
    );
    return;
  }
  const home = (p: string) => (p.startsWith(`${io.home}/`) ? `~/${relative(io.home, p)}` : p);
  const out: string[] = [
    `cluster ${inv.cluster} · ${inv.nodes.length} node${inv.nodes.length === 1 ? '' : 's'} · ${a.shown}${a.format === 'ansible' ? ' (Ansible)' : ''}` +
      ` · ssh_config ${a.sshConfigFile ? home(a.sshConfigFile) : 'none'}`,
  ];
  inv.nodes.forEach((n, i) => {
    const j = nodes[i];
    const rows: string[][] = [];
    const row = (field: string, value: string) =>
      rows.push([`  ${field}`, value, j.sources[field] ? sourceText(j.sources[field]) : '']);
    row('name', n.name);
    row('host', n.host);
    row('port', String(n.port));
    row('user', n.user);
    row(
      'identityFile',
      n.identityFile
        ? home(n.identityFile) + (n.moreIdentityFiles?.length ? ` (+${n.moreIdentityFiles.length} more)` : '')
        : '(ssh-agent)',
    );
    row('knownHosts', home(n.knownHosts));
    row(
      'jump',
      n.jump.length
        ? jumpText(n.jump.map((h) => ({ ...h, user: h.user ?? n.user }))) +
            (n.jump[0]?.proxyCommand ? ` (first hop via ProxyCommand ${n.jump[0].proxyCommand})` : '')
        : n.proxyCommand
          ? `(ProxyCommand ${n.proxyCommand})`
          : '(direct)',
    );
    row('rootDir', n.rootDir);
    row('stagingDir', n.stagingDir);
    row('backupDir', n.backupDir);
    for (const [k, v] of Object.entries(j))
      if (
        !(FIELDS as readonly string[]).includes(k) &&
        !['sources', 'moreIdentityFiles', 'identitiesOnly', 'proxyCommand'].includes(k) &&
        v !== undefined &&
        v !== null
      )
        rows.push([`  ${k}`, typeof v === 'string' ? v : JSON.stringify(v), '']);
    out.push(n.name, ...alignTable(rows));
  });
  io.stdout.write(`${out.join('\n')}\n`);
}
