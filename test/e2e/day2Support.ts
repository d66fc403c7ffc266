// Support for the day-2 e2e tests: build dist/ when src/ is newer, run the BUILT CLI as a child
// process, put simulated nodes into "hot-upgraded, pending restart" quickly, and MQTT clients.
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import type { SimCluster, SimClusterNode } from '../../src/sim/cluster.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(REPO, 'dist', 'cli', 'main.js');

export { ensureBuilt as ensureBuiltCli } from '../support/build.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/cli/main.js …` (stdin not a TTY, CI-like env), bounded by `timeoutMs`. */
export function cli(args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO, timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export type Ev = Record<string, unknown> & { type: string; node?: string };

export function events(stdout: string): Ev[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Ev);
}

export function emqx(n: SimClusterNode, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(join(n.rootDir, 'bin', 'emqx'), args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Stage the target tarball + sidecar on the node and `relup upgrade` it: hot-upgraded, pending restart. */
export async function hotUpgrade(c: SimCluster, n: SimClusterNode): Promise<void> {
  const staged = join(n.stagingDir, basename(c.tarballPath));
  await copyFile(c.tarballPath, staged);
  await copyFile(c.sidecarPath, `${staged}.sha256`);
  const r = await emqx(n, 'ctl', 'relup', 'upgrade', staged);
  if (!r.stdout.startsWith('upgrade complete')) throw new Error(`relup upgrade on ${n.name}: ${r.stdout}${r.stderr}`);
}

/** Rewrites the cluster's inventory: gates and an optional restart command. */
export async function tuneInventory(
  c: SimCluster,
  o: { soakSeconds: number; timeoutSeconds: number; restartCommand?: string },
): Promise<void> {
  const text = await readFile(c.inventoryPath, 'utf8');
  const head = text.slice(0, text.indexOf('\ngates:'));
  const tail = [
    `gates:`,
    `  soakSeconds: ${o.soakSeconds}`,
    `  timeoutSeconds: ${o.timeoutSeconds}`,
    ...(o.restartCommand ? ['restart:', `  command: ${JSON.stringify(o.restartCommand)}`] : []),
    '',
  ];
  await writeFile(c.inventoryPath, `${head}\n${tail.join('\n')}`);
}

export interface WatchedClient {
  readonly client: MqttClient;
  closed: boolean;
}

export async function connectClient(n: SimClusterNode, id: string): Promise<WatchedClient> {
  const client = mqtt.connect({
    host: n.host,
    port: n.mqttPort,
    clientId: id,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  const w: WatchedClient = { client, closed: false };
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  client.on('close', () => (w.closed = true));
  client.on('error', () => undefined);
  return w;
}
