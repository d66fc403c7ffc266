// The positioned tree (ours, or synthesised from Ansible) → a fully defaulted Inventory plus every
// problem found. Pure: no file system; the local files it names are returned for load.ts to check.
import path from 'node:path';
import type { Pos, Problem } from './errors.js';
import {
  DEFAULTS_KEYS,
  NODE_DEFAULT_KEYS,
  GATES_DEFAULTS,
  GATES_KEYS,
  MQTT_GATE_DEFAULTS,
  MQTT_GATE_KEYS,
  NODE_DEFAULTS,
  BECOME_METHODS,
  NODE_KEYS,
  RESTART_DEFAULTS,
  RESTART_KEYS,
  EXTENSION_PREFIX,
  TOP_KEYS,
  type NodeKey,
} from './fields.js';
import { parseJumpChain } from './jump.js';
import { resolveLocalPath } from './localPath.js';
import { Problems, checkKeys, readInt, readMap, readNumber, readString, readStringList } from './read.js';
import { childPath, describe, get, type RMap, type RNode } from './tree.js';
import type { GatesSpec, Inventory, JumpHost, MqttGateSpec, NodeSpec, RestartSpec } from './types.js';
import { readNotify } from './notify.js';
import { readWindow } from './window.js';
import { resolveNodeSsh, type ResolvedSsh, type SshContext } from './sshResolve.js';
import type { SshSource } from './sshConfig.js';

export const CLUSTER_NAME = /^[A-Za-z0-9._-]+$/;
/**
 * Erlang node name as EMQX uses it: `name@host`, the name in letters, digits, `_ . + -`, the host a
 * DNS name or an IPv4/IPv6 address. Narrower than what Erlang accepts on purpose: the name appears
 * in file names on the node (backups) and in gate command templates, so no shell or path syntax.
 */
export const NODE_NAME = /^[A-Za-z0-9_.+-]+@[A-Za-z0-9_.:-]+$/;
/** A DNS name, IPv4 or IPv6 address (an IPv6 zone as `%eth0`): nothing a shell or ssh would parse. */
export const HOST_NAME = /^[A-Za-z0-9_.:%-]+$/;

/** Wording that differs between our format and an Ansible inventory. */
export interface Dialect {
  /** Where a node field lives, for "is required" problems. */
  readonly fieldPath: (nodePath: string, key: NodeKey) => string;
  readonly userHint: (nodePath: string) => string;
  /** Where a problem with a defaulted (unwritten) local file is reported: a path that exists. */
  readonly defaultedPath: (nodePath: string, key: NodeKey) => string;
  /** How to point at another known_hosts file, in this format's own words. */
  readonly knownHostsHint: string;
}

export const NATIVE: Dialect = {
  fieldPath: (nodePath, key) => childPath(nodePath, key),
  userHint: (nodePath) => `set defaults.user or ${childPath(nodePath, 'user')}`,
  defaultedPath: (nodePath, key) => childPath(nodePath, key),
  knownHostsHint: 'set knownHosts',
};

export interface LocalFileRef {
  readonly kind: 'identityFile' | 'knownHosts';
  /** Absolute local path after `~` expansion. */
  readonly file: string;
  /** As written (or the built-in default). */
  readonly written: string;
  readonly pos: Pos;
  readonly path: string;
  /** true when nobody wrote it: the built-in knownHosts default. */
  readonly defaulted: boolean;
  /** How to set another file instead (the dialect's words). */
  readonly setHint: string;
  readonly nodes: readonly string[];
}

export interface Analysis {
  readonly inventory: Inventory | undefined;
  readonly problems: readonly Problem[];
  readonly localFiles: readonly LocalFileRef[];
  /** Per node of `inventory.nodes` (same order): where each field came from. */
  readonly sources?: readonly NodeSources[];
}

export interface ValidateContext {
  /** Absolute path of the inventory file. */
  readonly file: string;
  readonly home: string;
  readonly dialect: Dialect;
  /**
   * The SSH user when neither the node nor defaults set one — like ssh, the local user running
   * the tool (load.ts passes it in; this stays pure). Undefined → `user` is required.
   */
  readonly defaultUser?: string;
  /** The OpenSSH client config to resolve node hosts through (load.ts loads it); absent → none. */
  readonly ssh?: SshContext;
}

/** Where one resolved node field came from (the `inventory` command shows it). */
export type FieldSource =
  | { readonly kind: 'node' | 'defaults'; readonly path: string; readonly line: number; readonly derived?: string }
  | { readonly kind: 'ssh_config'; readonly file: string; readonly line: number; readonly alias?: string }
  | { readonly kind: 'default' };

export type NodeSources = Readonly<Record<string, FieldSource>>;

const INVALID = Symbol('invalid');
const AGENT = { written: '~', file: undefined };
type Slot = { value: unknown; node: RNode } | typeof INVALID;

function readRemoteDir(n: RNode, ps: Problems): string | undefined {
  const s = readString(n, ps, 'an absolute path on the node');
  if (s === undefined) return undefined;
  if (!s.startsWith('/')) {
    ps.on(n, `expected an absolute path on the node (starting with /), found ${describe(n)}`);
    return undefined;
  }
  // Spaces, quotes, `;`, `$(…)` are legal in a directory name and every command quotes them;
  // control characters (a newline above all) are refused: no operator means them.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s) || s.split('/').includes('..')) {
    ps.on(n, `expected an absolute path without ".." or control characters, found ${describe(n)}`);
    return undefined;
  }
  const norm = path.posix.normalize(s).replace(/\/+$/, '');
  if (norm === '') {
    ps.on(n, `expected a directory below /, found "/"`);
    return undefined;
  }
  return norm;
}

function readJump(n: RNode, ps: Problems): JumpHost[] | undefined {
  if (n.kind === 'scalar' && n.value === null) return []; // `jump: ~` on a node cancels defaults.jump
  const items = n.kind === 'seq' ? n.items : [n];
  const hops: JumpHost[] = [];
  for (const it of items) {
    const s = readString(it, ps, 'a jump host [user@]host[:port] (or a comma list, or a list of them)');
    if (s === undefined) return undefined;
    const r = parseJumpChain(s);
    if (!r.ok) {
      ps.on(it, r.message);
      return undefined;
    }
    hops.push(...r.hops);
  }
  return hops;
}

/** POSIX portable user names (plus a trailing `$` of machine accounts): no shell syntax. */
const USER_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/;

/** The local user as an SSH user, if it is one: `jo@corp.example` (an SSSD login) is not. */
function usableUser(u: string | undefined): string | undefined {
  return u !== undefined && USER_NAME.test(u) ? u : undefined;
}

function readField(key: NodeKey, n: RNode, ps: Problems, ctx: ValidateContext): unknown {
  switch (key) {
    case 'name': {
      const s = readString(n, ps, 'an Erlang node name such as emqx@10.0.0.11');
      if (s !== undefined && !NODE_NAME.test(s)) {
        ps.on(
          n,
          `expected an Erlang node name name@host such as emqx@10.0.0.11 (letters, digits, "_.+-" before the @), found ${describe(n)}`,
        );
        return undefined;
      }
      return s;
    }
    case 'host': {
      const s = readString(n, ps, 'a host name or IP address');
      if (s !== undefined && (!HOST_NAME.test(s) || s.startsWith('-'))) {
        ps.on(
          n,
          `expected a host name or IP address (letters, digits, ".", "-", ":"; no user@, spaces or shell characters), found ${describe(n)}`,
        );
        return undefined;
      }
      return s;
    }
    case 'port':
      return readInt(n, ps, 1, 65535);
    case 'user': {
      const s = readString(n, ps, 'a user name');
      if (s !== undefined && !USER_NAME.test(s)) {
        ps.on(
          n,
          `expected a user name of letters, digits, ".", "_" or "-" (no spaces, "@", ":" or shell characters), found ${describe(n)}`,
        );
        return undefined;
      }
      return s;
    }
    case 'identityFile':
    case 'knownHosts': {
      // `identityFile: ~` on a node switches it to ssh-agent even when defaults name a key.
      if (key === 'identityFile' && n.kind === 'scalar' && n.value === null) return AGENT;
      const s = readString(n, ps, 'a local file path');
      if (s === undefined) return undefined;
      const r = resolveLocalPath(s, ctx.home, path.dirname(ctx.file));
      if (!r.ok) {
        ps.on(n, r.message);
        return undefined;
      }
      return { written: s, file: r.path };
    }
    case 'jump':
      return readJump(n, ps);
    case 'rootDir':
    case 'stagingDir':
    case 'backupDir':
    case 'dataDir':
    case 'etcDir':
    case 'logDir':
      return readRemoteDir(n, ps);
    case 'become': {
      if (n.kind === 'scalar' && typeof n.value === 'boolean') {
        // Ansible's `become: true` habit: say what we take instead of "expected a string".
        ps.on(
          n,
          `expected \`sudo\` (the only privilege method), found ${describe(n)}; write \`become: sudo\`, or omit the key to run as the SSH user`,
        );
        return undefined;
      }
      const s = readString(n, ps, '`sudo`');
      if (s !== undefined && !(BECOME_METHODS as readonly string[]).includes(s)) {
        ps.on(
          n,
          `expected \`sudo\` (the only privilege method), found ${describe(n)}; omit the key to run as the SSH user`,
        );
        return undefined;
      }
      return s;
    }
    case 'becomeUser': {
      const s = readString(n, ps, 'a user name on the node');
      if (s !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(s)) {
        ps.on(n, `expected a user name on the node such as root or emqx, found ${describe(n)}`);
        return undefined;
      }
      return s;
    }
  }
}

function readFields(m: RMap, keys: readonly NodeKey[], ps: Problems, ctx: ValidateContext): Map<NodeKey, Slot> {
  const out = new Map<NodeKey, Slot>();
  for (const key of keys) {
    const e = get(m, key);
    if (!e) continue;
    const v = readField(key, e.value, ps, ctx);
    out.set(key, v === undefined ? INVALID : { value: v, node: e.value });
  }
  return out;
}

function readGates(n: RNode | undefined, ps: Problems): GatesSpec | undefined {
  if (n === undefined || (n.kind === 'scalar' && n.value === null)) return { ...GATES_DEFAULTS };
  const m = readMap(n, ps);
  if (!m) return undefined;
  checkKeys(m, GATES_KEYS, ps, (e) => childPath(m.path, e.key));
  const v = (k: string) => get(m, k)?.value;
  const soak = v('soakSeconds');
  const timeout = v('timeoutSeconds');
  const cmds = v('commands');
  const ratio = v('minConnectionRatio');
  const judged = v('minConnectionsJudged');
  const soakSeconds = soak
    ? readNumber(soak, ps, (x) => x >= 0, 'a number of seconds ≥ 0')
    : GATES_DEFAULTS.soakSeconds;
  const timeoutSeconds = timeout
    ? readNumber(timeout, ps, (x) => x > 0, 'a number of seconds > 0')
    : GATES_DEFAULTS.timeoutSeconds;
  const commands = cmds ? readStringList(cmds, ps, 'shell commands') : [...GATES_DEFAULTS.commands];
  const minConnectionRatio = ratio
    ? readNumber(ratio, ps, (x) => x >= 0 && x <= 1, 'a fraction 0..1 (0.5 = half the connections must stay)')
    : GATES_DEFAULTS.minConnectionRatio;
  const mqttE = get(m, 'mqtt');
  const mqtt = mqttE ? readMqttGate(mqttE.value, ps) : undefined;
  const minConnectionsJudged = judged ? readInt(judged, ps, 1, 1_000_000_000) : GATES_DEFAULTS.minConnectionsJudged;
  if (
    soakSeconds === undefined ||
    timeoutSeconds === undefined ||
    commands === undefined ||
    minConnectionRatio === undefined ||
    minConnectionsJudged === undefined ||
    (mqttE && mqtt === undefined)
  )
    return undefined;
  return { soakSeconds, timeoutSeconds, commands, minConnectionRatio, minConnectionsJudged, ...(mqtt ? { mqtt } : {}) };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `gates.mqtt`: `mqtt: {}` (or an empty `mqtt:`) turns the gate on with every default. */
function readMqttGate(n: RNode, ps: Problems): MqttGateSpec | undefined {
  if (n.kind === 'scalar' && n.value === null)
    return { ...MQTT_GATE_DEFAULTS, username: undefined, passwordEnv: undefined };
  const m = readMap(n, ps, 'a mapping such as {port: 1883, username: probe, passwordEnv: EMQX_PROBE_PASSWORD} (or {})');
  if (!m) return undefined;
  checkKeys(m, MQTT_GATE_KEYS, ps, (e) => childPath(m.path, e.key));
  let ok = true;
  const str = (k: string, what: string, test: RegExp | null, expected: string): string | undefined => {
    const e = get(m, k);
    if (!e) return undefined;
    const s = readString(e.value, ps, what);
    if (s !== undefined && test && !test.test(s)) ps.on(e.value, `expected ${expected}, found ${describe(e.value)}`);
    else if (s !== undefined) return s;
    ok = false;
    return undefined;
  };
  const host = str(
    'host',
    'a host or IP address as the node sees it, or {host}',
    /^(\{host\}|[^\s@/{}]+)$/,
    "a host or IP address as the node sees it (no user@, no spaces), or {host} for the node's own SSH host",
  );
  const portE = get(m, 'port');
  const port = portE ? readInt(portE.value, ps, 1, 65535) : MQTT_GATE_DEFAULTS.port;
  if (port === undefined) ok = false;
  const username = str('username', 'an MQTT user name', null, '');
  // Not echoed when wrong: a value that is no variable name may well be the password itself.
  const pwNode = get(m, 'passwordEnv')?.value;
  let passwordEnv: string | undefined;
  if (pwNode) {
    if (pwNode.kind === 'scalar' && typeof pwNode.value === 'string' && ENV_NAME.test(pwNode.value))
      passwordEnv = pwNode.value;
    else {
      ps.on(
        pwNode,
        'expected the NAME of an environment variable such as EMQX_PROBE_PASSWORD, found something else (not shown:' +
          ' it may be a password); the password itself never goes in the inventory',
      );
      ok = false;
    }
  }
  const topicPrefix = str(
    'topicPrefix',
    'an MQTT topic prefix',
    /^(?!\$)(?!\/)[^#+\0]*[^#+\0/]$/,
    'a topic prefix without wildcards (+ #), not starting with $ or / and not ending with /, such as emqx-rollout/probe',
  );
  const pwE = get(m, 'passwordEnv');
  if (pwE && !get(m, 'username')) {
    ps.on(
      pwE.value,
      'passwordEnv needs username: MQTT sends a password only with a user name; set gates.mqtt.username',
    );
    ok = false;
  }
  if (!ok) return undefined;
  return {
    host: host ?? MQTT_GATE_DEFAULTS.host,
    port: port!,
    username,
    passwordEnv,
    topicPrefix: topicPrefix ?? MQTT_GATE_DEFAULTS.topicPrefix,
  };
}

function readRestart(n: RNode | undefined, ps: Problems): RestartSpec | undefined {
  if (n === undefined || (n.kind === 'scalar' && n.value === null)) return { ...RESTART_DEFAULTS };
  const m = readMap(n, ps);
  if (!m) return undefined;
  checkKeys(m, RESTART_KEYS, ps, (e) => childPath(m.path, e.key));
  const c = get(m, 'command');
  if (!c) return { ...RESTART_DEFAULTS };
  const command = readString(c.value, ps, 'a shell command');
  return command === undefined ? undefined : { command };
}

function src(s: SshSource | undefined): string {
  return s ? `${s.file}:${s.line}` : '';
}

function line(n: RNode): number {
  return n.pos.line;
}

export function validateTree(root: RNode, ctx: ValidateContext): Analysis {
  const ps = new Problems();
  const top = readMap(root, ps, 'a mapping with `cluster` and `nodes`');
  if (!top) return { inventory: undefined, problems: ps.list, localFiles: [] };
  // `x-…` keys are extension fields (as in docker-compose): a place for YAML anchors, ignored.
  checkKeys(
    { ...top, entries: top.entries.filter((e) => !e.key.startsWith(EXTENSION_PREFIX)) },
    TOP_KEYS,
    ps,
    (e) => e.key,
  );

  const clusterE = get(top, 'cluster');
  let cluster: string | undefined;
  if (!clusterE) ps.at(top.pos, 'cluster', 'is required: expected a cluster name such as prod-eu, found nothing');
  else {
    cluster = readString(clusterE.value, ps, 'a cluster name');
    if (cluster !== undefined && (!CLUSTER_NAME.test(cluster) || cluster === '.' || cluster === '..')) {
      ps.on(
        clusterE.value,
        `expected a name of letters, digits, ".", "_" or "-" (it names the directory .emqx-rollout/<cluster>), found ${describe(clusterE.value)}`,
      );
      cluster = undefined;
    }
  }

  let defaults = new Map<NodeKey, Slot>();
  const defE = get(top, 'defaults');
  if (defE && !(defE.value.kind === 'scalar' && defE.value.value === null)) {
    const dm = readMap(defE.value, ps);
    if (dm) {
      const nameE = get(dm, 'name');
      if (nameE)
        ps.at(
          nameE.keyPos,
          childPath(dm.path, 'name'),
          'unknown key "name"; a node name is set per node, not in defaults',
        );
      checkKeys({ ...dm, entries: dm.entries.filter((e) => e !== nameE) }, DEFAULTS_KEYS, ps, (e) =>
        childPath(dm.path, e.key),
      );
      defaults = readFields(dm, NODE_DEFAULT_KEYS, ps, ctx);
    }
  }

  const nodes: NodeSpec[] = [];
  const sources: NodeSources[] = [];
  let nodesOk = true;
  const local = new Map<string, { ref: Omit<LocalFileRef, 'nodes'>; nodes: string[] }>();
  const nodesE = get(top, 'nodes');
  if (!nodesE) {
    ps.at(top.pos, 'nodes', 'is required: expected a non-empty list of nodes, found nothing');
    nodesOk = false;
  } else if (nodesE.value.kind !== 'seq' || nodesE.value.items.length === 0) {
    ps.on(
      nodesE.value,
      `expected a non-empty list of nodes (each with name and host), found ${describe(nodesE.value)}`,
    );
    nodesOk = false;
  } else {
    const names = new Map<string, RNode>();
    const endpoints = new Map<string, RNode>();
    for (const item of nodesE.value.items) {
      const nm = readMap(item, ps, 'a node mapping with name and host');
      if (!nm) {
        nodesOk = false;
        continue;
      }
      checkKeys(nm, NODE_KEYS, ps, (e) => childPath(nm.path, e.key));
      const own = readFields(nm, NODE_KEYS, ps, ctx);
      const slot = (k: NodeKey): Slot | undefined => own.get(k) ?? defaults.get(k);
      const val = <T>(k: NodeKey, fallback?: T): T | undefined => {
        const s = slot(k);
        if (s === INVALID) return undefined;
        return s ? (s.value as T) : fallback;
      };
      const anyInvalid = NODE_KEYS.some((k) => slot(k) === INVALID);
      const name = val<string>('name');
      const writtenHost = val<string>('host');
      let ssh: ResolvedSsh | undefined;
      if (ctx.ssh && writtenHost !== undefined && !anyInvalid) {
        const written = (k: NodeKey) => (slot(k) ? val<unknown>(k) : undefined);
        const idw = written('identityFile') as { file: string | undefined } | undefined;
        ssh = resolveNodeSsh(ctx.ssh, {
          host: writtenHost,
          port: written('port') as number | undefined,
          user: written('user') as string | undefined,
          identityFile: idw === undefined ? undefined : (idw.file ?? null),
          knownHosts: (written('knownHosts') as { file: string } | undefined)?.file,
          jump: written('jump') as JumpHost[] | undefined,
        });
        for (const p of ssh.problems)
          ps.at(nm.pos, nm.path, `ssh_config ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
      }
      const host = ssh?.host ?? writtenHost;
      const user = val<string>('user', ssh?.user ?? usableUser(ctx.defaultUser));
      if (!slot('name'))
        ps.at(
          nm.pos,
          ctx.dialect.fieldPath(nm.path, 'name'),
          'is required: expected an Erlang node name such as emqx@10.0.0.11, found nothing',
        );
      if (!slot('host'))
        ps.at(
          nm.pos,
          ctx.dialect.fieldPath(nm.path, 'host'),
          'is required: expected a host name or IP address, found nothing',
        );
      if (!slot('user') && ssh?.user === undefined && usableUser(ctx.defaultUser) === undefined)
        ps.at(
          nm.pos,
          ctx.dialect.fieldPath(nm.path, 'user'),
          ctx.defaultUser === undefined
            ? `user is required (${ctx.dialect.userHint(nm.path)})`
            : `user is required: the local user ${JSON.stringify(ctx.defaultUser)} is not a usable SSH user name (${ctx.dialect.userHint(nm.path)})`,
        );
      const port = val<number>('port', ssh?.port ?? NODE_DEFAULTS.port);
      const configIds = ssh?.identityFiles ?? [];
      const idf = val<{ written: string; file: string | undefined } | undefined>(
        'identityFile',
        configIds[0] === undefined ? undefined : { written: configIds[0], file: configIds[0] },
      );
      const khDefault = resolveLocalPath(NODE_DEFAULTS.knownHosts, ctx.home, path.dirname(ctx.file));
      const kh = val<{ written: string; file: string }>(
        'knownHosts',
        ssh?.knownHosts !== undefined
          ? {
              written: `${ssh.knownHosts} (UserKnownHostsFile, ssh_config ${src(ssh.sources.knownHosts)})`,
              file: ssh.knownHosts,
            }
          : { written: NODE_DEFAULTS.knownHosts, file: khDefault.ok ? khDefault.path : NODE_DEFAULTS.knownHosts },
      );
      const jump = ssh?.jump ?? val<JumpHost[]>('jump', []);
      const rootDir = val<string>('rootDir', NODE_DEFAULTS.rootDir);
      const stagingDir = val<string>('stagingDir', NODE_DEFAULTS.stagingDir);
      const backupDir = val<string>('backupDir', NODE_DEFAULTS.backupDir);
      const dataDir = val<string>('dataDir');
      const etcDir = val<string>('etcDir');
      const logDir = val<string>('logDir');
      const become = val<'sudo'>('become');
      const becomeUser = val<string>('becomeUser', NODE_DEFAULTS.becomeUser);

      const nameSlot = slot('name');
      if (name !== undefined && nameSlot && nameSlot !== INVALID) {
        const first = names.get(name);
        if (first)
          ps.on(
            nameSlot.node,
            `duplicate node name "${name}", already used at line ${line(first)}; every node needs its own name`,
          );
        else names.set(name, nameSlot.node);
      }
      const hostSlot = slot('host');
      if (host !== undefined && port !== undefined && hostSlot && hostSlot !== INVALID) {
        const key = `${host.toLowerCase()}:${port}`;
        const first = endpoints.get(key);
        const at = own.get('host') && own.get('host') !== INVALID ? hostSlot.node : nm;
        if (first)
          ps.at(
            at.pos,
            at === nm ? ctx.dialect.fieldPath(nm.path, 'host') : at.path,
            `duplicate host:port ${host}:${port}, already used at line ${line(first)}; each node needs its own SSH endpoint`,
          );
        else endpoints.set(key, at);
      }

      const fileRef = (
        kind: 'identityFile' | 'knownHosts',
        v: { written: string; file: string | undefined } | undefined,
      ) => {
        if (!v || v.file === undefined || name === undefined) return;
        const s = slot(kind);
        if (!s && ssh?.sources[kind]) {
          // From ssh_config: reported on the node, the written value names the config line.
          const k = `${kind}\0${v.file}`;
          const seen = local.get(k);
          if (seen) seen.nodes.push(name);
          else
            local.set(k, {
              ref: {
                kind,
                file: v.file,
                written: v.written,
                pos: nm.pos,
                path: nm.path,
                defaulted: false,
                setHint: ctx.dialect.knownHostsHint,
              },
              nodes: [name],
            });
          return;
        }
        const where =
          s && s !== INVALID
            ? { pos: s.node.pos, path: s.node.path }
            : { pos: nm.pos, path: ctx.dialect.defaultedPath(nm.path, kind) };
        const k = `${kind}\0${v.file}`;
        const seen = local.get(k);
        if (seen) seen.nodes.push(name);
        else
          local.set(k, {
            ref: {
              kind,
              file: v.file,
              written: v.written,
              ...where,
              defaulted: !s,
              setHint: ctx.dialect.knownHostsHint,
            },
            nodes: [name],
          });
      };
      fileRef('identityFile', idf);
      fileRef('knownHosts', kh);

      if (
        anyInvalid ||
        name === undefined ||
        host === undefined ||
        user === undefined ||
        port === undefined ||
        kh === undefined ||
        jump === undefined ||
        rootDir === undefined ||
        stagingDir === undefined ||
        backupDir === undefined
      ) {
        nodesOk = false;
        continue;
      }
      const fieldSource = (k: NodeKey, fromSsh?: SshSource): FieldSource => {
        const o = own.get(k);
        if (o && o !== INVALID) {
          const derived = o.node.kind === 'scalar' ? o.node.derived : undefined;
          return { kind: 'node', path: o.node.path, line: o.node.pos.line, ...(derived ? { derived } : {}) };
        }
        const d = defaults.get(k);
        if (d && d !== INVALID) return { kind: 'defaults', path: d.node.path, line: d.node.pos.line };
        return fromSsh ? { kind: 'ssh_config', ...fromSsh } : { kind: 'default' };
      };
      const sshSrc = ssh?.sources ?? {};
      sources.push({
        name: fieldSource('name'),
        host: sshSrc.host ? { kind: 'ssh_config', ...sshSrc.host, alias: writtenHost } : fieldSource('host'),
        port: fieldSource('port', sshSrc.port),
        user: fieldSource('user', sshSrc.user),
        identityFile: fieldSource('identityFile', sshSrc.identityFile),
        knownHosts: fieldSource('knownHosts', sshSrc.knownHosts),
        jump: fieldSource('jump', sshSrc.jump),
        rootDir: fieldSource('rootDir'),
        stagingDir: fieldSource('stagingDir'),
        backupDir: fieldSource('backupDir'),
      });
      const moreIds = slot('identityFile') ? [] : configIds.slice(1);
      nodes.push({
        name,
        host,
        port,
        user,
        identityFile: idf?.file,
        ...(moreIds.length ? { moreIdentityFiles: moreIds } : {}),
        ...(ssh?.identitiesOnly !== undefined ? { identitiesOnly: ssh.identitiesOnly } : {}),
        ...(ssh?.proxyCommand !== undefined && jump.length === 0 ? { proxyCommand: ssh.proxyCommand } : {}),
        knownHosts: kh.file,
        jump,
        rootDir,
        stagingDir,
        backupDir,
        ...(dataDir !== undefined ? { dataDir } : {}),
        ...(etcDir !== undefined ? { etcDir } : {}),
        ...(logDir !== undefined ? { logDir } : {}),
        ...(become !== undefined ? { become, becomeUser: becomeUser ?? NODE_DEFAULTS.becomeUser } : {}),
      });
    }
  }

  const gates = readGates(get(top, 'gates')?.value, ps);
  const restart = readRestart(get(top, 'restart')?.value, ps);
  const winE = get(top, 'window');
  const window = winE ? readWindow(winE.value, ps) : undefined;
  const notifyE = get(top, 'notify');
  const notify = notifyE ? readNotify(notifyE.value, ps) : undefined;
  const localFiles = [...local.values()].map((x) => ({ ...x.ref, nodes: x.nodes }));

  if (ps.list.length > 0 || cluster === undefined || !nodesOk || !gates || !restart || (notifyE && !notify))
    return { inventory: undefined, problems: ps.list, localFiles };
  return {
    inventory: { file: ctx.file, cluster, nodes, gates, restart, window, ...(notify ? { notify } : {}) },
    problems: [],
    localFiles,
    sources,
  };
}
