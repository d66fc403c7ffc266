// The inventory's vocabulary in one place: known keys and built-in defaults. The loader, the
// Ansible adapter and the schema test (test/inventory/schema.test.ts) all read these lists, so the
// JSON Schema in schema/inventory.schema.json cannot drift from what the loader accepts.

/** Top-level keys starting with this are ignored: room for YAML anchors (`x-common: &common …`). */
export const EXTENSION_PREFIX = 'x-';

export const TOP_KEYS = ['cluster', 'defaults', 'nodes', 'gates', 'restart', 'window', 'notify'] as const;

/** Keys of one entry of `nodes`. Every one except `name` may also be set under `defaults`. */
export const NODE_KEYS = [
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
  'dataDir',
  'etcDir',
  'logDir',
  'become',
  'becomeUser',
] as const;

/** `name` identifies one node; a default for it would make every node collide. */
export const NODE_DEFAULT_KEYS = NODE_KEYS.filter((k) => k !== 'name');

/** Settings of the whole inventory that live under `defaults` (no node sets them). */
export const DEFAULTS_ONLY_KEYS = ['sshConfig'] as const;

export const DEFAULTS_KEYS: readonly string[] = [...NODE_DEFAULT_KEYS, ...DEFAULTS_ONLY_KEYS];

/** `defaults.sshConfig: none` turns ssh_config off. */
export const SSH_CONFIG_NONE = 'none';
/** Read when it exists and neither --ssh-config nor defaults.sshConfig names another. */
export const SSH_CONFIG_DEFAULT = '~/.ssh/config';

export const GATES_KEYS = [
  'soakSeconds',
  'timeoutSeconds',
  'commands',
  'minConnectionRatio',
  'minConnectionsJudged',
  'mqtt',
] as const;
/** `gates.mqtt`: the MQTT continuity probe. The key itself turns it on; every field is optional. */
export const MQTT_GATE_KEYS = ['host', 'port', 'username', 'passwordEnv', 'topicPrefix'] as const;
export const RESTART_KEYS = ['command'] as const;
export const WINDOW_KEYS = ['days', 'start', 'end', 'timezone'] as const;
/** Keys of one entry of `notify`: exactly one of `webhook` / `command`, plus the optional rest. */
export const NOTIFY_KEYS = ['webhook', 'command', 'events', 'timeoutSeconds'] as const;

export type NodeKey = (typeof NODE_KEYS)[number];

export const NODE_DEFAULTS = {
  port: 22,
  /** `~` is the operator's home on the bastion (env.home). */
  knownHosts: '~/.ssh/known_hosts',
  rootDir: '/opt/emqx',
  stagingDir: '/opt/upgrade',
  backupDir: '/var/backups/emqx',
  /** Only used with `become: sudo`. */
  becomeUser: 'root',
} as const;

/** The one privilege method: `sudo -n -u <becomeUser> sh -c '<cmd>'`. */
export const BECOME_METHODS = ['sudo'] as const;

export const GATES_DEFAULTS = {
  soakSeconds: 30,
  timeoutSeconds: 300,
  commands: [] as readonly string[],
  minConnectionRatio: 0.5,
  /** Below this many connections before the hop the ratio is noise; only a total loss fails. */
  minConnectionsJudged: 10,
} as const;

export const MQTT_GATE_DEFAULTS = {
  /** As the node sees it: the node's own loopback. `{host}` = the node's SSH host. */
  host: '127.0.0.1',
  port: 1883,
  topicPrefix: 'emqx-rollout/probe',
} as const;

/** EMQX 5.10 has no `emqx restart`, hence stop && start. */
export const RESTART_DEFAULTS = {
  command: '{rootDir}/bin/emqx stop && {rootDir}/bin/emqx start',
} as const;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** A receiver that names no `events:` gets these: the moments a team channel cares about. */
export const NOTIFY_DEFAULTS = {
  events: [
    'rollout.started',
    'rollout.awaiting-approval',
    'node.done',
    'rollout.paused',
    'rollout.halted',
    'rollout.done',
  ] as readonly string[],
  timeoutSeconds: 5,
} as const;
