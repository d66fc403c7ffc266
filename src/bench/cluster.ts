// The benchmark's cluster: simulated EMQX nodes (the sim's installs and daemons, see src/sim/cluster.ts)
// each behind its OWN real OpenSSH sshd on 127.0.0.(150+i), with the cost model of a real node on
// (`emqx ctl` latency, a node-side hop time). Every contender — our CLI, the Ansible play, the bash
// loop — drives the same nodes through the same sshds. reset() puts the nodes back to the
// from-version with nothing staged, so rounds can alternate.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSimCluster, stopNodeDaemon, type SimCluster } from '../sim/cluster.js';
import { setFaults } from '../sim/faults.js';
import { readState, writeState } from '../sim/state.js';
import { knownHostsLine, startSshd, type SshdInstance } from './sshd.js';

const run = promisify(execFile);

export interface BenchNode {
  /** Erlang node name, also the inventory name. */
  readonly name: string;
  /** The node's real sshd. */
  readonly host: string;
  readonly port: number;
  readonly rootDir: string;
  readonly stagingDir: string;
  readonly backupDir: string;
  /** The node's $TMPDIR (relup extraction cache). */
  readonly tmpDir: string;
}

export interface BenchClusterOptions {
  readonly dir: string;
  readonly nodes: number;
  /** `emqx ctl` latency of every node (ms). */
  readonly ctlLatencyMs: number;
  /** Extra seconds each node spends in its hop (the slowUpgradeSeconds fault). */
  readonly hopSeconds: number;
  readonly padBytes: number;
  /** The sshds make the login shell skip ~/.bashrc (see sshd.ts). */
  readonly skipDotfiles: boolean;
}

export interface BenchCluster {
  readonly dir: string;
  readonly user: string;
  readonly keyPath: string;
  readonly knownHostsPath: string;
  readonly tarballPath: string;
  readonly sidecarPath: string;
  readonly from: string;
  readonly to: string;
  readonly ctlLatencyMs: number;
  readonly nodes: readonly BenchNode[];
  /** Writes an inventory of the first k nodes (soak 0) and returns its path. */
  inventory(k: number): Promise<string>;
  /** Back to the from-version, nothing staged, no relup log rows, no lock. */
  reset(k: number): Promise<void>;
  /** Each of the first k nodes' own hop time (ms): its newest relup log row, finishedAt − startedAt. */
  hopTimesMs(k: number): number[];
  /** Switches every sshd between skipping and sourcing the dotfiles (restarts them on new ports). */
  setSkipDotfiles(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

const yq = (s: string): string => JSON.stringify(s);

export async function startBenchCluster(o: BenchClusterOptions): Promise<BenchCluster> {
  const sim: SimCluster = await startSimCluster({
    dir: o.dir,
    nodes: o.nodes,
    soakSeconds: 0,
    padBytes: o.padBytes,
    ctlLatencyMs: o.ctlLatencyMs,
  });
  let sshds: SshdInstance[] = [];
  const pub = await readFile(`${sim.keyPath}.pub`, 'utf8');
  const knownHostsPath = join(o.dir, 'known_hosts.sshd');
  let nodes: BenchNode[] = [];
  const startSshds = async (skipDotfiles: boolean) => {
    await Promise.all(sshds.map((s) => s.stop()));
    sshds = [];
    for (let i = 0; i < sim.nodes.length; i++) {
      sshds.push(
        await startSshd({
          host: `127.0.0.${150 + i}`,
          authorizedKeys: pub,
          skipDotfiles,
          extraConfig: ['LogLevel ERROR', 'MaxStartups 200', 'MaxSessions 100'],
        }),
      );
    }
    await writeFile(knownHostsPath, sshds.map((s) => `${knownHostsLine(s.host, s.port, s.hostPublicKey)}\n`).join(''));
    nodes = sim.nodes.map((n, i) => ({
      name: n.name,
      host: sshds[i].host,
      port: sshds[i].port,
      rootDir: n.rootDir,
      stagingDir: n.stagingDir,
      backupDir: n.backupDir,
      tmpDir: join(n.rootDir, '..', 'tmp'),
    }));
  };
  try {
    await startSshds(o.skipDotfiles);
    await Promise.all(sim.nodes.map((n) => setFaults(n.rootDir, { slowUpgradeSeconds: o.hopSeconds })));
  } catch (e) {
    await Promise.all(sshds.map((s) => s.stop()));
    await sim.stop();
    throw e;
  }
  const c: BenchCluster = {
    dir: o.dir,
    user: sim.user,
    keyPath: sim.keyPath,
    knownHostsPath,
    tarballPath: sim.tarballPath,
    sidecarPath: sim.sidecarPath,
    from: sim.from,
    to: sim.to,
    ctlLatencyMs: o.ctlLatencyMs,
    get nodes() {
      return nodes;
    },
    async inventory(k) {
      const lines = [
        'cluster: bench',
        'defaults:',
        `  user: ${yq(sim.user)}`,
        `  identityFile: ${yq(sim.keyPath)}`,
        `  knownHosts: ${yq(knownHostsPath)}`,
        'nodes:',
      ];
      for (const n of nodes.slice(0, k)) {
        lines.push(
          `  - name: ${yq(n.name)}`,
          `    host: ${yq(n.host)}`,
          `    port: ${n.port}`,
          `    rootDir: ${yq(n.rootDir)}`,
          `    stagingDir: ${yq(n.stagingDir)}`,
          `    backupDir: ${yq(n.backupDir)}`,
        );
      }
      lines.push('gates:', '  soakSeconds: 0', '  timeoutSeconds: 120', '');
      const p = join(o.dir, `inventory-${k}.yaml`);
      await writeFile(p, lines.join('\n'));
      return p;
    },
    async reset(k) {
      await Promise.all(nodes.slice(0, k).map((n) => resetNode(n)));
    },
    hopTimesMs(k) {
      return nodes.slice(0, k).map((n) => {
        const row = readState(n.rootDir).logs.at(-1);
        if (!row || row.finishedAt === null) throw new Error(`${n.name}: no finished relup log row`);
        return row.finishedAt - row.startedAt;
      });
    },
    async setSkipDotfiles(on) {
      await startSshds(on);
    },
    async stop() {
      await Promise.all(sshds.map((s) => s.stop()));
      await sim.stop();
    },
  };
  return c;
}

async function emptyDir(d: string): Promise<void> {
  if (!existsSync(d)) return;
  for (const f of await readdir(d)) await rm(join(d, f), { recursive: true, force: true });
}

async function resetNode(n: BenchNode): Promise<void> {
  const upgraded = existsSync(join(n.rootDir, 'relup', 'current'));
  const s = readState(n.rootDir);
  await Promise.all([emptyDir(n.stagingDir), emptyDir(n.backupDir), emptyDir(n.tmpDir)]);
  if (upgraded || s.logs.length > 0) {
    await stopNodeDaemon(n.rootDir);
    await emptyDir(join(n.rootDir, 'relup'));
    writeState(n.rootDir, { ...s, logs: [] });
    await run(join(n.rootDir, 'bin', 'emqx'), ['start'], {
      timeout: 60_000,
      env: { ...process.env, TMPDIR: n.tmpDir },
    });
  }
}
