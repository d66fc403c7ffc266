// A simulated EMQX cluster on this machine: per node a real install (extracted from a `from`
// release tarball), its own in-process SSH server and host key on 127.0.0.(10+i), a real MQTT
// listener, plus everything an operator needs to point emqx-rollout at it: inventory.yaml,
// known_hosts, a client key, and the `to` release tarball + sidecar.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { dfShimScript } from './dfShim.js';
import { nodeConfigPath, pidPath, simDir } from './layout.js';
import type { ClusterMember, SimNodeConfig } from './nodeConfig.js';
import { startSshServer, type SimSshServer } from './sshServer.js';
import { DEFAULT_CATALOG, writeState, type CatalogEntry } from './state.js';
import { buildReleaseTarball } from './tarball.js';

const run = promisify(execFile);

export interface SimClusterOptions {
  readonly dir: string;
  readonly nodes?: number;
  readonly from?: string;
  readonly to?: string;
  /** Node i (1-based) gets `${hostPrefix}${10 + i}`; default '127.0.0.' (any 127/8 address works on Linux). */
  readonly hostPrefix?: string;
  readonly sidecar?: 'bare' | 'sha256sum';
  readonly padBytes?: number;
  /** Inventory gates; default soak 1 s, timeout 120 s. */
  readonly soakSeconds?: number;
  readonly timeoutSeconds?: number;
  /** Every node's `emqx ctl` latency (a real node's two Erlang VM starts); default 0 (off). */
  readonly ctlLatencyMs?: number;
}

export interface SimClusterNode {
  readonly name: string;
  readonly host: string;
  readonly sshPort: number;
  readonly mqttPort: number;
  readonly rootDir: string;
  readonly stagingDir: string;
  readonly backupDir: string;
}

export interface SimCluster {
  readonly dir: string;
  readonly inventoryPath: string;
  readonly tarballPath: string;
  readonly sidecarPath: string;
  readonly knownHostsPath: string;
  readonly keyPath: string;
  readonly user: string;
  readonly from: string;
  readonly to: string;
  readonly nodes: readonly SimClusterNode[];
  stop(): Promise<void>;
}

async function keygen(path: string, comment: string): Promise<{ priv: string; pub: string }> {
  await rm(path, { force: true });
  await rm(`${path}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return { priv: await readFile(path, 'utf8'), pub: (await readFile(`${path}.pub`, 'utf8')).trim() };
}

const yq = (s: string): string => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar

export function inventoryYaml(o: {
  cluster: string; user: string; keyPath: string; knownHostsPath: string;
  nodes: readonly SimClusterNode[]; soakSeconds: number; timeoutSeconds: number;
}): string {
  const lines = [
    '# Simulated EMQX cluster written by emqx-rollout (src/sim/cluster.ts).',
    `cluster: ${yq(o.cluster)}`,
    'defaults:',
    `  user: ${yq(o.user)}`,
    `  identityFile: ${yq(o.keyPath)}`,
    `  knownHosts: ${yq(o.knownHostsPath)}`,
    'nodes:',
  ];
  for (const n of o.nodes) {
    lines.push(
      `  - name: ${yq(n.name)}`,
      `    host: ${yq(n.host)}`,
      `    port: ${n.sshPort}`,
      `    rootDir: ${yq(n.rootDir)}`,
      `    stagingDir: ${yq(n.stagingDir)}`,
      `    backupDir: ${yq(n.backupDir)}`,
    );
  }
  lines.push('gates:', `  soakSeconds: ${o.soakSeconds}`, `  timeoutSeconds: ${o.timeoutSeconds}`, '');
  return lines.join('\n');
}

/** Stops a node's daemon by its pid file (SIGTERM, then SIGKILL after 5 s). Idempotent. */
export async function stopNodeDaemon(rootDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(pidPath(rootDir), 'utf8')).trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + 5000;
  while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  if (alive()) process.kill(pid, 'SIGKILL');
}

export async function startSimCluster(opts: SimClusterOptions): Promise<SimCluster> {
  const dir = resolve(opts.dir);
  const n = opts.nodes ?? 3;
  const from = opts.from ?? '5.10.4';
  const to = opts.to ?? '5.10.5';
  const prefix = opts.hostPrefix ?? '127.0.0.';
  const user = userInfo().username;
  await mkdir(dir, { recursive: true });
  // a previous cluster in the same dir: stop its daemons before replacing its files
  for (let i = 1; existsSync(join(dir, 'nodes', String(i))); i++) await stopNodeDaemon(join(dir, 'nodes', String(i), 'emqx'));
  await rm(join(dir, 'nodes'), { recursive: true, force: true });

  const [fromRel, toRel] = await Promise.all([
    buildReleaseTarball({ version: from, outDir: join(dir, 'build'), padBytes: 0 }),
    buildReleaseTarball({ version: to, outDir: join(dir, 'release'), sidecar: opts.sidecar, padBytes: opts.padBytes }),
  ]);
  const keyPath = join(dir, 'id_ed25519');
  const knownHostsPath = join(dir, 'known_hosts');
  const clusterFile = join(dir, 'cluster.json');
  const client = await keygen(keyPath, `emqx-rollout-sim@${user}`);
  const catalog: CatalogEntry[] = [...DEFAULT_CATALOG];
  if (!catalog.some((c) => c.from === from && c.target === to)) catalog.push({ from, target: to });

  const servers: SimSshServer[] = [];
  const nodes: SimClusterNode[] = [];
  const tmpDirs: string[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((nd) => stopNodeDaemon(nd.rootDir)));
    await Promise.all(servers.map((s) => s.close()));
  };
  try {
    for (let i = 1; i <= n; i++) {
      const host = `${prefix}${10 + i}`;
      const nodeDir = join(dir, 'nodes', String(i));
      const rootDir = join(nodeDir, 'emqx');
      const stagingDir = join(nodeDir, 'staging');
      const backupDir = join(nodeDir, 'backup');
      const shimDir = join(nodeDir, 'shim');
      // the node's $TMPDIR (relup extraction cache emqx_relup_<hash16>) stays inside the cluster dir
      const tmpDir = join(nodeDir, 'tmp');
      await Promise.all([rootDir, stagingDir, backupDir, shimDir, tmpDir].map((d) => mkdir(d, { recursive: true })));
      await tar.x({ file: fromRel.tarballPath, cwd: rootDir });
      await writeFile(join(shimDir, 'df'), dfShimScript(rootDir));
      await chmod(join(shimDir, 'df'), 0o755);
      const name = `emqx@${host}`;
      // 0: the daemon binds a free port on first boot and records it in node.json (stable afterwards)
      const mqttPort = 0;
      const cfg: SimNodeConfig = { name, mqttHost: host, mqttPort, clusterFile, ctlLatencyMs: opts.ctlLatencyMs || undefined };
      await mkdir(simDir(rootDir), { recursive: true });
      await writeFile(nodeConfigPath(rootDir), JSON.stringify(cfg, null, 2));
      writeState(rootDir, { logs: [], catalog });
      const hostKey = await keygen(join(nodeDir, 'ssh_host_ed25519_key'), `sim-${host}`);
      const server = await startSshServer({
        host,
        port: 0,
        hostKey: hostKey.priv,
        authorizedKeys: [client.pub],
        env: { PATH: `${shimDir}:${process.env.PATH ?? '/usr/bin:/bin'}`, TMPDIR: tmpDir },
        cwd: nodeDir,
      });
      servers.push(server);
      nodes.push({ name, host, sshPort: server.port, mqttPort: 0, rootDir, stagingDir, backupDir });
      tmpDirs.push(tmpDir);
    }
    const members: ClusterMember[] = nodes.map((nd) => ({ name: nd.name, baseRoot: nd.rootDir }));
    await writeFile(clusterFile, JSON.stringify({ nodes: members }, null, 2));
    await writeFile(
      knownHostsPath,
      nodes.map((nd, i) => `[${nd.host}]:${nd.sshPort} ${servers[i].hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`).join(''),
    );
    const inventoryPath = join(dir, 'inventory.yaml');
    await writeFile(
      inventoryPath,
      inventoryYaml({
        cluster: 'sim', user, keyPath, knownHostsPath, nodes,
        soakSeconds: opts.soakSeconds ?? 1, timeoutSeconds: opts.timeoutSeconds ?? 120,
      }),
    );
    await Promise.all(
      nodes.map((nd, i) => run(join(nd.rootDir, 'bin', 'emqx'), ['start'], { timeout: 60_000, env: { ...process.env, TMPDIR: tmpDirs[i] } })),
    );
    await rm(join(dir, 'build'), { recursive: true, force: true });
    for (const [i, nd] of nodes.entries()) {
      nodes[i] = { ...nd, mqttPort: (JSON.parse(await readFile(nodeConfigPath(nd.rootDir), 'utf8')) as SimNodeConfig).mqttPort };
    }
    return {
      dir, inventoryPath, tarballPath: toRel.tarballPath, sidecarPath: toRel.sidecarPath,
      knownHostsPath, keyPath, user, from, to, nodes, stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
