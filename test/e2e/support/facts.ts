// Pure-test fixtures for rollout decisions (preflight, plan, gates): an inventory and the facts a
// healthy node shows, each overridable field by field. No I/O.
import type { Inventory, NodeSpec } from '../../../src/inventory/types.js';
import type { ExecResult } from '../../../src/remote/types.js';
import type { NodeFacts } from '../../../src/rollout/core/facts.js';
import type { TarballInfo } from '../../../src/rollout/core/types.js';

export const MB = 1024 * 1024;

export const TARBALL: TarballInfo = Object.freeze({
  path: '/rel/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz',
  fileName: 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz',
  sha256: 'a'.repeat(64),
  size: 300 * MB,
  version: '5.10.5',
  os: 'ubuntu22.04',
  arch: 'amd64',
  otp: '27.3.4.2-8',
});

export function nodeSpec(i: number): NodeSpec {
  return {
    name: `emqx@10.0.0.${10 + i}`,
    host: `10.0.0.${10 + i}`,
    port: 22,
    user: 'emqx',
    identityFile: '/home/ops/.ssh/id_ed25519',
    knownHosts: '/home/ops/.ssh/known_hosts',
    jump: [],
    rootDir: '/opt/emqx',
    stagingDir: '/opt/upgrade',
    backupDir: '/var/backups/emqx',
  };
}

export function inventory(n = 3, gates: Partial<Inventory['gates']> = {}): Inventory {
  return {
    file: '/ops/inventory.yaml',
    cluster: 'prod-eu',
    nodes: Array.from({ length: n }, (_, i) => nodeSpec(i + 1)),
    gates: {
      soakSeconds: 30,
      timeoutSeconds: 300,
      commands: [],
      minConnectionRatio: 0.5,
      minConnectionsJudged: 10,
      ...gates,
    },
    restart: { command: '{rootDir}/bin/emqx stop && {rootDir}/bin/emqx start' },
    window: undefined,
  };
}

/** A running, idle, healthy node of `inv` at `version` that can take the 5.10.4 → 5.10.5 hop. */
export function facts(inv: Inventory, i: number, over: Partial<NodeFacts> = {}, version = '5.10.4'): NodeFacts {
  const spec = inv.nodes[i - 1];
  return {
    node: spec.name,
    host: spec.host,
    reachable: true,
    ctl: { kind: 'running', node: spec.name, version, status: 'started' },
    version,
    relupStatus: { kind: 'idle' },
    supportedPaths: [{ from: '5.10.4', to: '5.10.5' }],
    supportedPathsKind: 'paths',
    logs: [],
    plugins: [{ name: 'emqx_relup', relVsn: '1.0.1', runningStatus: 'running', configStatus: 'enabled' }],
    cluster: { kind: 'cluster', running: inv.nodes.map((n) => n.name), stopped: [] },
    connections: 1000,
    marker: null,
    patches: [],
    relupWritable: true,
    stagingFreeBytes: 10 * 1024 * MB,
    buildInfo: { os: 'ubuntu22.04', arch: 'amd64', otp: '27.3.4.2-8' },
    stagedSha256: null,
    stagedSidecar: false,
    evidence: [],
    ...over,
  };
}

/** The same node after a successful hop to `to`. */
export function upgradedFacts(
  inv: Inventory,
  i: number,
  over: Partial<NodeFacts> = {},
  from = '5.10.4',
  to = '5.10.5',
): NodeFacts {
  return facts(
    inv,
    i,
    {
      relupStatus: { kind: 'hot-upgraded', target: to },
      marker: to,
      logs: [
        {
          started: '2026-11-26T21:00:00.000+00:00',
          finished: '2026-11-26T21:00:01.000+00:00',
          from,
          target: to,
          status: 'finished',
          result: { kind: 'success' },
          line: `started=… ${from} -> ${to} status=finished result=success`,
        },
      ],
      ...over,
    },
    to,
  );
}

export function exec(exitCode: number | null, stdout = '', stderr = '', over: Partial<ExecResult> = {}): ExecResult {
  return {
    node: 'emqx@10.0.0.11',
    command: 'check',
    exitCode,
    signal: null,
    stdout,
    stderr,
    durationMs: 5,
    timedOut: false,
    aborted: false,
    ...over,
  };
}
