// A simulated node's identity (what a real node reads from etc/emqx.conf and vm.args).
import { readFileSync } from 'node:fs';
import { nodeConfigPath } from './layout.js';

export interface SimNodeConfig {
  /** Erlang node name, e.g. `emqx@127.0.0.11`. */
  readonly name: string;
  /** Address the MQTT listener binds. */
  readonly mqttHost: string;
  /** 0 → any free port (the bound port is then recorded in the daemon's state). */
  readonly mqttPort: number;
  /** Shared `dir/cluster.json` of a simulated cluster, or undefined for a single node. */
  readonly clusterFile?: string;
  /** Bookkeeping for the simulator's own helpers (faults, tests); the daemon takes its dirs from argv/env. */
  readonly layout?: 'tgz' | 'pkg';
  readonly dataDir?: string;
  readonly etcDir?: string;
  readonly logDir?: string;
  /** RUNNER_USER of a package install. */
  readonly serviceUser?: string;
  /** Cost model of a real node: each `emqx ctl` call first waits this long (nodetool ping + rpc: two VM starts). */
  readonly ctlLatencyMs?: number;
}

export const DEFAULT_NODE_CONFIG: SimNodeConfig = { name: 'emqx@127.0.0.1', mqttHost: '127.0.0.1', mqttPort: 0 };

export function readNodeConfig(baseRoot: string): SimNodeConfig {
  try {
    const raw = JSON.parse(readFileSync(nodeConfigPath(baseRoot), 'utf8')) as Partial<SimNodeConfig>;
    return { ...DEFAULT_NODE_CONFIG, ...raw };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_NODE_CONFIG;
    throw e;
  }
}

/** One member of a simulated cluster as listed in `dir/cluster.json`. */
export interface ClusterMember {
  readonly name: string;
  readonly baseRoot: string;
}
