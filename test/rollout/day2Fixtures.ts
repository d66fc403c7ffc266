// Facts and inventories for the day-2 unit tests (restart, cleanup, logs, recover-boot).
import type { Inventory, NodeSpec } from '../../src/inventory/types.js';
import type { ExecResult } from '../../src/remote/types.js';
import type { NodeFacts } from '../../src/rollout/core/facts.js';

export const NAMES = ['emqx@10.0.0.11', 'emqx@10.0.0.12', 'emqx@10.0.0.13'] as const;

export function spec(name: string, over: Partial<NodeSpec> = {}): NodeSpec {
  return {
    name,
    host: name.split('@')[1],
    port: 22,
    user: 'emqx',
    identityFile: undefined,
    knownHosts: '/home/op/.ssh/known_hosts',
    jump: [],
    rootDir: '/opt/emqx',
    stagingDir: '/opt/upgrade',
    backupDir: '/var/backups/emqx',
    ...over,
  };
}

export function inventory(over: Partial<Inventory> = {}): Inventory {
  return {
    file: '/ops/prod.yaml',
    cluster: 'prod',
    nodes: NAMES.map((n) => spec(n)),
    gates: { soakSeconds: 0, timeoutSeconds: 60, commands: [], minConnectionRatio: 0.5, minConnectionsJudged: 10 },
    restart: { command: '{rootDir}/bin/emqx stop && {rootDir}/bin/emqx start' },
    window: undefined,
    ...over,
  };
}

/** A running node of a whole 3-node cluster; override what the case is about. */
export function facts(node: string, over: Partial<NodeFacts> & { version?: string | null } = {}): NodeFacts {
  const version = over.version === undefined ? '5.10.4' : over.version;
  return {
    node,
    host: node.split('@')[1],
    reachable: true,
    ctl:
      version === null
        ? { kind: 'down', node, message: `Node '${node}' not responding to pings.` }
        : { kind: 'running', node, version, status: 'started' },
    version,
    relupStatus:
      version === null ? { kind: 'down', node, message: `Node '${node}' not responding to pings.` } : { kind: 'idle' },
    supportedPaths: [{ from: '5.10.4', to: '5.10.5' }],
    supportedPathsKind: 'paths',
    logs: [],
    plugins: [{ name: 'emqx_relup', relVsn: '1.0.1', runningStatus: 'running', configStatus: 'enabled' }],
    cluster: { kind: 'cluster', running: [...NAMES], stopped: [] },
    connections: 10,
    marker: null,
    patches: [],
    relupWritable: true,
    stagingFreeBytes: 10 * 1024 ** 3,
    buildInfo: { os: 'ubuntu22.04', arch: 'x86_64-pc-linux-gnu', otp: '27.3.4.2-8' },
    stagedSha256: null,
    stagedSidecar: false,
    evidence: [],
    ...over,
  };
}

/** Hot-upgraded to `t`, pending restart (the VM still runs the base tree). */
export const pending = (node: string, t = '5.10.5', over: Partial<NodeFacts> = {}): NodeFacts =>
  facts(node, { version: t, marker: t, relupStatus: { kind: 'hot-upgraded', target: t }, ...over });

/** Restarted into relup/<t>/: the marker stays on disk, the VM no longer sees it. */
export const bootedNew = (node: string, t = '5.10.5', over: Partial<NodeFacts> = {}): NodeFacts =>
  facts(node, { version: t, marker: t, relupStatus: { kind: 'idle' }, ...over });

export function unreachable(node: string): NodeFacts {
  return {
    ...facts(node, { version: null }),
    reachable: false,
    unreachable: { message: `${node}: connection refused`, details: [], code: 'node-unreachable' },
    ctl: null,
    relupStatus: null,
    cluster: null,
    connections: null,
  };
}

export function execResult(over: Partial<ExecResult> = {}): ExecResult {
  return {
    node: NAMES[0],
    command: 'true',
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    durationMs: 5,
    timedOut: false,
    aborted: false,
    ...over,
  };
}
