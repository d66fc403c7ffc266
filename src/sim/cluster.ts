// A simulated EMQX cluster on this machine: per node a real install (extracted from a `from`
// release tarball), its own in-process SSH server and host key on 127.0.0.(10+i), a real MQTT
// listener, plus everything an operator needs to point emqx-rollout at it: inventory.yaml,
// known_hosts, a client key, and the `to` release tarball + sidecar.
//
// Two install layouts (facts A3):
// - `tgz` (default): everything under `<node>/emqx` (etc/, data/, log/ inside the root), reached as
//   the sandbox's own OS user, RUNNER_USER="".
// - `pkg`: a deb-like install. `<node>/usr/lib/emqx` stands for /usr/lib/emqx (bin/ lib/ releases/
//   relup/.keep plugins/, emqx_vars with an absolute EMQX_ETC_DIR, the log default, RUNNER_USER and
//   RUNNER_BIN_DIR; BUILD_INFO relform "deb"), `<node>/usr/bin/emqx` a symlink to it, and SEPARATE
//   `<node>/etc/emqx`, `<node>/var/lib/emqx` (node.data_dir, absolute) and `<node>/var/log/emqx`.
//   The SSH login is a simulated non-root user (`sshUser`, default "operator"); bin/emqx refuses it
//   (check_user) unless it goes through the `sudo` shim; the inventory says `become: sudo`.
//   The daemon runs as if systemd started it as the service user.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { dfShimScript } from './dfShim.js';
import { nodeConfigPath, pidPath, realSuPath, simDir, sudoersPath } from './layout.js';
import { freeShimScript, idShimScript, sudoShimScript, whoamiShimScript } from './shims.js';
import type { ClusterMember, SimNodeConfig } from './nodeConfig.js';
import { startSshServer, type SimSshServer } from './sshServer.js';
import { setFaults } from './faults.js';
import { DEFAULT_CATALOG, writeState, type CatalogEntry } from './state.js';
import { buildInfo, buildReleaseTarball, emqxVars, type PkgVars } from './tarball.js';

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
  /** Install layout of every node: 'tgz' (default) or 'pkg' (see the top of this file). */
  readonly layout?: 'tgz' | 'pkg';
  /** pkg: the SSH login name (a simulated non-root user); default 'operator'. tgz: the OS user. */
  readonly sshUser?: string;
  /** pkg: RUNNER_USER, the user the service runs as; default 'emqx'. */
  readonly serviceUser?: string;
  /** pkg: the initial sudoers policy of the `sudo` shim (default nopasswd; the sudoPolicy fault changes it). */
  readonly sudoPolicy?: 'nopasswd' | 'password' | 'deny';
  /**
   * pkg: the `to` tarball's form. 'tgz' (default) is the official hot-upgrade tarball (RUNNER_USER="",
   * EMQX_ETC_DIR under the root: a restart into it would not find emqx.conf, facts A3 "Risk"). 'pkg'
   * bakes this sandbox's package paths in, relative to BASE_RUNNER_ROOT_DIR (`$BASE_RUNNER_ROOT_DIR/../../../etc/emqx`:
   * one tarball serves every node), so a restart into it works.
   */
  readonly targetForm?: 'tgz' | 'pkg';
  /**
   * One MQTT listener port for every node (each binds its own 127.0.0.x), as on a real cluster
   * where `gates.mqtt.port` is one number. Default 0: a free port per node.
   */
  readonly mqttPort?: number;
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
  readonly layout: 'tgz' | 'pkg';
  readonly etcDir: string;
  readonly dataDir: string;
  readonly logDir: string;
  /** The node's $TMPDIR (relup extraction cache `emqx_relup_<hash16>`). */
  readonly tmpDir: string;
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
  cluster: string;
  user: string;
  keyPath: string;
  knownHostsPath: string;
  nodes: readonly SimClusterNode[];
  soakSeconds: number;
  timeoutSeconds: number;
  become?: boolean;
}): string {
  const lines = [
    '# Simulated EMQX cluster written by emqx-rollout (src/sim/cluster.ts).',
    `cluster: ${yq(o.cluster)}`,
    'defaults:',
    `  user: ${yq(o.user)}`,
    `  identityFile: ${yq(o.keyPath)}`,
    `  knownHosts: ${yq(o.knownHostsPath)}`,
    ...(o.become ? ['  become: "sudo"'] : []),
    // Every endpoint is written above; the operator's ~/.ssh/config (a `Host *` ProxyJump, say)
    // must not reroute the simulated nodes.
    '  sshConfig: none',
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
/** The install root of a node dir: `emqx/` (tgz) or `usr/lib/emqx/` (pkg); null when neither exists. */
export function nodeRootOf(nodeDir: string): string | null {
  for (const r of [join(nodeDir, 'emqx'), join(nodeDir, 'usr', 'lib', 'emqx')]) if (existsSync(r)) return r;
  return null;
}

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
  const layout = opts.layout ?? 'tgz';
  const pkg = layout === 'pkg';
  const serviceUser = opts.serviceUser ?? 'emqx';
  const user = pkg ? (opts.sshUser ?? 'operator') : userInfo().username;
  await mkdir(dir, { recursive: true });
  // pkg: the node's VM (the service user) reads staged tarballs through "other" permission bits,
  // so the sandbox dir must be traversable by others (a mkdtemp dir is 0700)
  if (pkg) await chmod(dir, ((await stat(dir)).mode & 0o777) | 0o711);
  // a previous cluster in the same dir: stop its daemons before replacing its files
  for (let i = 1; existsSync(join(dir, 'nodes', String(i))); i++) {
    const r = nodeRootOf(join(dir, 'nodes', String(i)));
    if (r) await stopNodeDaemon(r);
  }
  await rm(join(dir, 'nodes'), { recursive: true, force: true });

  const [fromRel, toRel] = await Promise.all([
    buildReleaseTarball({ version: from, outDir: join(dir, 'build'), padBytes: 0 }),
    buildReleaseTarball({
      version: to,
      outDir: join(dir, 'release'),
      sidecar: opts.sidecar,
      padBytes: opts.padBytes,
      pkg: pkg && opts.targetForm === 'pkg' ? relativePkgVars(serviceUser) : undefined,
    }),
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
      const rootDir = pkg ? join(nodeDir, 'usr', 'lib', 'emqx') : join(nodeDir, 'emqx');
      const etcDir = pkg ? join(nodeDir, 'etc', 'emqx') : join(rootDir, 'etc');
      const dataDir = pkg ? join(nodeDir, 'var', 'lib', 'emqx') : join(rootDir, 'data');
      const logDir = pkg ? join(nodeDir, 'var', 'log', 'emqx') : join(rootDir, 'log');
      const stagingDir = join(nodeDir, 'staging');
      const backupDir = join(nodeDir, 'backup');
      const shimDir = join(nodeDir, 'shim');
      // the node's $TMPDIR (relup extraction cache emqx_relup_<hash16>) stays inside the cluster dir
      const tmpDir = join(nodeDir, 'tmp');
      await Promise.all([rootDir, stagingDir, backupDir, shimDir, tmpDir].map((d) => mkdir(d, { recursive: true })));
      await tar.x({ file: fromRel.tarballPath, cwd: rootDir });
      const name = `emqx@${host}`;
      if (pkg) await makePackageInstall({ nodeDir, rootDir, etcDir, dataDir, logDir, from, serviceUser, name });
      const shims: Array<[string, string]> = [
        ['df', dfShimScript(rootDir)],
        ['free', freeShimScript(rootDir)],
      ];
      if (pkg) shims.push(['sudo', sudoShimScript()], ['whoami', whoamiShimScript()], ['id', idShimScript()]);
      for (const [cmd, text] of shims) {
        await writeFile(join(shimDir, cmd), text);
        await chmod(join(shimDir, cmd), 0o755);
      }
      // 0: the daemon binds a free port on first boot and records it in node.json (stable afterwards)
      const mqttPort = opts.mqttPort ?? 0;
      const cfg: SimNodeConfig = {
        name,
        mqttHost: host,
        mqttPort,
        clusterFile,
        layout,
        dataDir,
        etcDir,
        logDir,
        ...(pkg ? { serviceUser } : {}),
        ctlLatencyMs: opts.ctlLatencyMs || undefined,
      };
      await mkdir(simDir(rootDir), { recursive: true });
      await writeFile(nodeConfigPath(rootDir), JSON.stringify(cfg, null, 2));
      await writeFile(sudoersPath(rootDir), `policy ${opts.sudoPolicy ?? 'nopasswd'}\npassword sim-sudo-password\n`, {
        mode: 0o600,
      });
      if (opts.sudoPolicy && opts.sudoPolicy !== 'nopasswd') await setFaults(rootDir, { sudoPolicy: opts.sudoPolicy });
      writeState(rootDir, { logs: [], catalog });
      const hostKey = await keygen(join(nodeDir, 'ssh_host_ed25519_key'), `sim-${host}`);
      const server = await startSshServer({
        host,
        port: 0,
        hostKey: hostKey.priv,
        authorizedKeys: [client.pub],
        env: {
          PATH: `${shimDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          TMPDIR: tmpDir,
          ...(pkg ? { EMQX_SIM_SUDOERS: sudoersPath(rootDir), EMQX_SIM_NODE_TMPDIR: tmpDir } : {}),
        },
        cwd: nodeDir,
        simulateLoginUser: pkg,
      });
      servers.push(server);
      nodes.push({
        name,
        host,
        sshPort: server.port,
        mqttPort: 0,
        rootDir,
        stagingDir,
        backupDir,
        layout,
        etcDir,
        dataDir,
        logDir,
        tmpDir,
      });
      tmpDirs.push(tmpDir);
    }
    const members: ClusterMember[] = nodes.map((nd) => ({ name: nd.name, baseRoot: nd.rootDir }));
    await writeFile(clusterFile, JSON.stringify({ nodes: members }, null, 2));
    await writeFile(
      knownHostsPath,
      nodes
        .map((nd, i) => `[${nd.host}]:${nd.sshPort} ${servers[i].hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`)
        .join(''),
    );
    const inventoryPath = join(dir, 'inventory.yaml');
    await writeFile(
      inventoryPath,
      inventoryYaml({
        cluster: 'sim',
        user,
        keyPath,
        knownHostsPath,
        nodes,
        become: pkg,
        soakSeconds: opts.soakSeconds ?? 1,
        timeoutSeconds: opts.timeoutSeconds ?? 120,
      }),
    );
    // pkg: as systemd would start it (User=<service user>); the node keeps the sandbox's TMPDIR
    const svcEnv = pkg ? { EMQX_SIM_LOGIN_USER: serviceUser } : {};
    await Promise.all(
      nodes.map((nd, i) =>
        run(join(nd.rootDir, 'bin', 'emqx'), ['start'], {
          timeout: 60_000,
          env: { ...process.env, ...svcEnv, TMPDIR: tmpDirs[i] },
        }),
      ),
    );
    await rm(join(dir, 'build'), { recursive: true, force: true });
    for (const [i, nd] of nodes.entries()) {
      nodes[i] = {
        ...nd,
        mqttPort: (JSON.parse(await readFile(nodeConfigPath(nd.rootDir), 'utf8')) as SimNodeConfig).mqttPort,
      };
    }
    return {
      dir,
      inventoryPath,
      tarballPath: toRel.tarballPath,
      sidecarPath: toRel.sidecarPath,
      knownHostsPath,
      keyPath,
      user,
      from,
      to,
      nodes,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Package-install values relative to the base root, valid for every node of a pkg sandbox. */
export function relativePkgVars(serviceUser: string): PkgVars {
  return {
    etcDir: '$BASE_RUNNER_ROOT_DIR/../../../etc/emqx',
    logDir: '$BASE_RUNNER_ROOT_DIR/../../../var/log/emqx',
    binDir: '$BASE_RUNNER_ROOT_DIR/../../bin',
    runnerUser: serviceUser,
  };
}

/**
 * Turns a node's freshly extracted tarball tree into a deb-like install: etc/ moves to etcDir (emqx.conf
 * names the node and an absolute data_dir), data/ and log/ leave the root for dataDir and logDir,
 * emqx_vars and BUILD_INFO get the pkg values, relup/ ships `.keep`, `<node>/usr/bin/emqx` links to bin/emqx.
 * `realSu`: the service user is a real account owning the install (bin/emqx as root then uses real su).
 */
export async function makePackageInstall(o: {
  nodeDir: string;
  rootDir: string;
  etcDir: string;
  dataDir: string;
  logDir: string;
  from: string;
  serviceUser: string;
  name: string;
  realSu?: boolean;
}): Promise<void> {
  const binDir = join(o.nodeDir, 'usr', 'bin');
  await Promise.all([o.etcDir, o.logDir, binDir].map((d) => mkdir(d, { recursive: true })));
  for (const d of ['configs', 'mnesia', 'patches', 'plugins']) await mkdir(join(o.dataDir, d), { recursive: true });
  await rm(o.etcDir, { recursive: true, force: true });
  await rename(join(o.rootDir, 'etc'), o.etcDir);
  await writeFile(
    join(o.etcDir, 'emqx.conf'),
    `node {\n  name = "${o.name}"\n  cookie = "emqxsecretcookie"\n  data_dir = "${o.dataDir}"\n}\n\n` +
      'cluster {\n  name = emqxcl\n  discovery_strategy = manual\n}\n',
  );
  await rm(join(o.rootDir, 'data'), { recursive: true, force: true });
  await rm(join(o.rootDir, 'log'), { recursive: true, force: true });
  await mkdir(join(o.rootDir, 'relup'), { recursive: true });
  await writeFile(join(o.rootDir, 'relup', '.keep'), '');
  const vars = await readFile(join(o.rootDir, 'releases', 'emqx_vars'), 'utf8');
  const erts = /^ERTS_VSN="([^"]+)"/m.exec(vars)?.[1] ?? '15.2.7.2';
  await writeFile(
    join(o.rootDir, 'releases', 'emqx_vars'),
    emqxVars(o.from, erts, { etcDir: o.etcDir, logDir: o.logDir, runnerUser: o.serviceUser, binDir }),
  );
  const bi = join(o.rootDir, 'releases', o.from, 'BUILD_INFO');
  const old = await readFile(bi, 'utf8');
  const field = (k: string): string => new RegExp(`^${k}: "([^"]*)"`, 'm').exec(old)?.[1] ?? '';
  await writeFile(
    bi,
    buildInfo({ buildArch: field('arch'), os: field('os'), erlang: field('erlang'), relform: 'deb' }),
  );
  for (const b of ['emqx', 'emqx_ctl']) {
    await rm(join(binDir, b), { force: true });
    await symlink(join('..', 'lib', 'emqx', 'bin', b), join(binDir, b));
  }
  await mkdir(simDir(o.rootDir), { recursive: true });
  if (o.realSu) await writeFile(realSuPath(o.rootDir), '');
}
