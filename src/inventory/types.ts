// The validated inventory: what every later layer reads instead of raw YAML.
// Produced once by inventory/load.ts, deeply frozen, every field defaulted.

export interface JumpHost {
  readonly user: string | undefined; // undefined → same user as the node connection
  readonly host: string;
  readonly port: number;
  /** From ssh_config (IdentityFile of this hop's alias); undefined → the node's keys. */
  readonly identityFile?: string;
  /** From ssh_config (UserKnownHostsFile of this hop's alias); undefined → the node's knownHosts. */
  readonly knownHosts?: string;
  /** ssh_config ProxyCommand of the first hop, tokens expanded: its stdin/stdout is the transport. */
  readonly proxyCommand?: string;
}

export interface NodeSpec {
  /** Erlang node name as `emqx ctl status` prints it, e.g. `emqx@10.0.0.11`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Absolute path, `~` expanded. Undefined → ssh-agent only. */
  readonly identityFile: string | undefined;
  /**
   * Further keys to try after identityFile, in order (ssh_config lists several IdentityFile lines;
   * OpenSSH tries each that exists). Absent → only identityFile.
   */
  readonly moreIdentityFiles?: readonly string[];
  /**
   * ssh_config ProxyCommand (tokens %h %p %r %n expanded), when no jump applies: run by /bin/sh on
   * this machine, its stdin/stdout is the connection to the node, as with ssh.
   */
  readonly proxyCommand?: string;
  /** ssh_config IdentitiesOnly yes: offer only the key files, not ssh-agent's keys. */
  readonly identitiesOnly?: boolean;
  /** Absolute path, `~` expanded. Host keys are always verified against it. */
  readonly knownHosts: string;
  /** ProxyJump chain, outermost first. Empty → direct. */
  readonly jump: readonly JumpHost[];
  /** <RootDir> of the install (absolute, on the node). */
  readonly rootDir: string;
  readonly stagingDir: string;
  readonly backupDir: string;
  /**
   * Where the node keeps its data, config and logs (absolute, on the node). Undefined → discovered
   * from the node (observe/layout.ts): a tarball install keeps them under rootDir, a deb/rpm
   * install in /var/lib/emqx, /etc/emqx, /var/log/emqx.
   */
  readonly dataDir?: string;
  readonly etcDir?: string;
  readonly logDir?: string;
  /** `sudo`: every node command runs through `sudo -n -u <becomeUser> sh -c '…'`. Absent → as the SSH user. */
  readonly become?: 'sudo';
  /** Set (default `root`) only when `become` is. */
  readonly becomeUser?: string;
}

export interface GatesSpec {
  readonly soakSeconds: number;
  readonly timeoutSeconds: number;
  /** Extra shell commands run on the node after its upgrade; non-zero exit fails the gate. */
  readonly commands: readonly string[];
  /**
   * Fraction (0..1) of the pre-upgrade MQTT connection count that must still be there after the
   * hot upgrade. 0.5 → the gate fails when more than half of the connections vanished.
   */
  readonly minConnectionRatio: number;
  /**
   * The ratio rule judges only from this many connections before the hop (a noise floor: 3 → 1 is
   * not a collapse worth halting for). Losing every connection fails regardless, from 1 up.
   */
  readonly minConnectionsJudged: number;
  /** The MQTT continuity gate; undefined = off (no `gates.mqtt` key). */
  readonly mqtt?: MqttGateSpec;
}

export interface MqttGateSpec {
  /** The listener's address as the node sees it: `127.0.0.1` (default), a host, or `{host}` (the node's SSH host). */
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  /** Name of the environment variable holding the password; the CLI reads it. Never the password itself. */
  readonly passwordEnv: string | undefined;
  /** Probe topics are `<topicPrefix>/<node>/<runId>`. */
  readonly topicPrefix: string;
}

export interface RestartSpec {
  /** Template; `{rootDir}` is replaced by the node's shell-quoted rootDir. */
  readonly command: string;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface WindowSpec {
  readonly days: readonly Weekday[];
  /** Minutes after local midnight. end < start means the window crosses midnight. */
  readonly startMinutes: number;
  readonly endMinutes: number;
  readonly timezone: string;
}

/** One `notify:` receiver: where events go, which ones, and how long one delivery attempt may take. */
export type NotifyTarget =
  | {
      readonly kind: 'webhook';
      readonly url: string;
      readonly events: readonly string[];
      readonly timeoutSeconds: number;
    }
  | {
      readonly kind: 'command';
      readonly command: string;
      readonly events: readonly string[];
      readonly timeoutSeconds: number;
    };

export interface Inventory {
  /** Absolute path of the inventory file this came from. */
  readonly file: string;
  readonly cluster: string;
  readonly nodes: readonly NodeSpec[];
  readonly gates: GatesSpec;
  readonly restart: RestartSpec;
  readonly window: WindowSpec | undefined;
  /**
   * Event receivers (`notify:`), in inventory order. Absent when the inventory has no `notify:` key
   * (optional so that hand-built inventories in tests and the Ansible adapter need not name it).
   */
  readonly notify?: readonly NotifyTarget[];
}
