// A simulated cluster for one e2e test file: started with the BUILT simulator (so its nodes run
// the same dist/ as the CLI under test), in a unique temp dir, stopped and removed in afterAll.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ClusterMod from '../../../src/sim/cluster.js';
import type * as FaultsMod from '../../../src/sim/faults.js';
import type * as TarballMod from '../../../src/sim/tarball.js';
import { distDir } from './cli.js';

export interface SimModules {
  readonly cluster: typeof ClusterMod;
  readonly faults: typeof FaultsMod;
  readonly tarball: typeof TarballMod;
}

export async function sim(): Promise<SimModules> {
  const d = distDir();
  const load = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(join(d, rel)).href)) as T;
  return {
    cluster: await load<typeof ClusterMod>('sim/cluster.js'),
    faults: await load<typeof FaultsMod>('sim/faults.js'),
    tarball: await load<typeof TarballMod>('sim/tarball.js'),
  };
}

export type Faults = FaultsMod.Faults;

export interface Gates {
  readonly soakSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly commands?: readonly string[];
  readonly minConnectionRatio?: number;
  /** gates.mqtt, written as a YAML flow mapping. */
  readonly mqtt?: Readonly<Record<string, string | number>>;
  readonly minConnectionsJudged?: number;
}

export interface E2eCluster extends ClusterMod.SimCluster {
  /** Rewrites the gates block of inventory.yaml (the generated file ends with it). */
  setGates(g: Gates): Promise<void>;
  setFaults(node: number, f: Partial<Faults>): Promise<void>;
  clearFaults(node: number): Promise<void>;
  /** Stops the cluster and deletes its temp dir. */
  destroy(): Promise<void>;
}

export function gatesYaml(g: Gates): string {
  const lines = ['gates:', `  soakSeconds: ${g.soakSeconds ?? 0}`, `  timeoutSeconds: ${g.timeoutSeconds ?? 60}`];
  if (g.minConnectionRatio !== undefined) lines.push(`  minConnectionRatio: ${g.minConnectionRatio}`);
  if (g.minConnectionsJudged !== undefined) lines.push(`  minConnectionsJudged: ${g.minConnectionsJudged}`);
  if (g.commands) lines.push(`  commands: ${JSON.stringify(g.commands)}`);
  if (g.mqtt) lines.push(`  mqtt: ${JSON.stringify(g.mqtt)}`);
  return `${lines.join('\n')}\n`;
}

export async function startCluster(
  tag: string,
  o: { nodes?: number; gates?: Gates; mqttPort?: number } = {},
): Promise<E2eCluster> {
  const m = await sim();
  const dir = await mkdtemp(join(tmpdir(), `e2e-${tag}-`));
  let c: ClusterMod.SimCluster;
  try {
    c = await m.cluster.startSimCluster({ dir, nodes: o.nodes ?? 3, ...(o.mqttPort ? { mqttPort: o.mqttPort } : {}) });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const root = (i: number): string => c.nodes[i - 1].rootDir;
  const e: E2eCluster = {
    ...c,
    stop: () => c.stop(),
    async setGates(g) {
      const text = await readFile(c.inventoryPath, 'utf8');
      await writeFile(c.inventoryPath, text.replace(/^gates:[\s\S]*$/m, gatesYaml(g)));
    },
    async setFaults(i, f) {
      await m.faults.setFaults(root(i), f);
    },
    async clearFaults(i) {
      await m.faults.clearFaults(root(i));
    },
    async destroy() {
      await c.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await e.setGates(o.gates ?? { soakSeconds: 0, timeoutSeconds: 60 });
  return e;
}

// ---- what is on a node, read from its files and its bin/emqx (as an operator on the host would) ----

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export function run(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: env ?? process.env, timeout: 60_000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ stdout, stderr, code });
      },
    );
  });
}

type Node = ClusterMod.SimClusterNode;

/** `<root>/bin/emqx ctl ARGS` with the node's own TMPDIR (the cluster's per-node tmp dir). */
export const ctl = (n: Node, ...args: string[]): Promise<Run> =>
  run(join(n.rootDir, 'bin', 'emqx'), ['ctl', ...args], { ...process.env, TMPDIR: join(dirname(n.rootDir), 'tmp') });

export async function runningVersion(n: Node): Promise<string | null> {
  const r = await ctl(n, 'status');
  return /^Node '[^']+' (\S+) is started$/m.exec(r.stdout)?.[1] ?? null;
}

export interface LogRow {
  readonly started: number;
  readonly finished: number | null;
  readonly from: string;
  readonly to: string;
  readonly line: string;
}

/** `relup logs` rows: `started=… finished=… 5.10.4 -> 5.10.5 status=finished result=success`. */
export async function relupLogs(n: Node): Promise<LogRow[]> {
  const r = await ctl(n, 'relup', 'logs');
  if (r.code !== 0) throw new Error(`relup logs on ${n.name} failed (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('started='))
    .map((line) => {
      const m = /^started=(\S+) finished=(\S*) (\S+) -> (\S*)/.exec(line);
      if (!m) throw new Error(`unexpected relup logs row on ${n.name}: ${line}`);
      return { started: Date.parse(m[1]), finished: m[2] ? Date.parse(m[2]) : null, from: m[3], to: m[4], line };
    });
}

export async function ls(dir: string): Promise<string[]> {
  return existsSync(dir) ? (await readdir(dir)).sort() : [];
}

/** What an untouched node looks like: nothing staged, no lock, no backup. */
export async function footprint(n: Node): Promise<{ staging: string[]; backups: string[]; lock: boolean }> {
  const staging = await ls(n.stagingDir);
  return { staging, backups: await ls(n.backupDir), lock: staging.includes('.emqx-rollout.lock') };
}
