// The validated inventory: what every later layer reads instead of raw YAML.
// Produced once by inventory/load.ts, deeply frozen, every field defaulted.

export interface JumpHost {
  readonly user: string | undefined; // undefined → same user as the node connection
  readonly host: string;
  readonly port: number;
}

export interface NodeSpec {
  /** Erlang node name as `emqx ctl status` prints it, e.g. `emqx@10.0.0.11`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Absolute path, `~` expanded. Undefined → ssh-agent only. */
  readonly identityFile: string | undefined;
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

export interface Inventory {
  /** Absolute path of the inventory file this came from. */
  readonly file: string;
  readonly cluster: string;
  readonly nodes: readonly NodeSpec[];
  readonly gates: GatesSpec;
  readonly restart: RestartSpec;
  readonly window: WindowSpec | undefined;
}
