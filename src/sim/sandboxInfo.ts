// What `sandbox up` leaves behind in `<dir>/sandbox.json` and prints.
import type { SimCluster, SimClusterNode } from './cluster.js';

export const SANDBOX_JSON = 'sandbox.json';
export const SANDBOX_ERROR = 'sandbox.error';
export const SANDBOX_LOG = 'sandbox.log';

export interface SandboxInfo {
  readonly dir: string;
  /** The supervisor process holding the SSH servers. */
  readonly pid: number;
  readonly inventoryPath: string;
  readonly knownHostsPath: string;
  readonly keyPath: string;
  readonly tarballPath: string;
  readonly sidecarPath: string;
  readonly user: string;
  readonly from: string;
  readonly to: string;
  readonly nodes: readonly SimClusterNode[];
}

export function sandboxInfoOf(c: SimCluster, pid: number): SandboxInfo {
  return {
    dir: c.dir,
    pid,
    inventoryPath: c.inventoryPath,
    knownHostsPath: c.knownHostsPath,
    keyPath: c.keyPath,
    tarballPath: c.tarballPath,
    sidecarPath: c.sidecarPath,
    user: c.user,
    from: c.from,
    to: c.to,
    nodes: c.nodes,
  };
}

const sq = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The lines `emqx-rollout sandbox up` prints. */
export function formatSandboxInfo(info: SandboxInfo): string {
  const n = info.nodes[0];
  const lines = [
    `sandbox: ${info.nodes.length} simulated EMQX ${info.from} node(s) running (supervisor pid ${info.pid})`,
    `  inventory:   ${info.inventoryPath}`,
    `  known_hosts: ${info.knownHostsPath}`,
    `  key:         ${info.keyPath}`,
    `  tarball:     ${info.tarballPath}  (${info.to})`,
    `  sidecar:     ${info.sidecarPath}`,
    ...info.nodes.flatMap((x) => [
      `  node:        ${x.name}  ssh ${x.host}:${x.sshPort}  mqtt ${x.host}:${x.mqttPort}  root ${x.rootDir}`,
      ...(x.layout === 'pkg' ? [`               etc ${x.etcDir}  data ${x.dataDir}  log ${x.logDir}`] : []),
    ]),
  ];
  const pkg = n?.layout === 'pkg';
  if (pkg)
    lines.splice(
      1,
      0,
      `  layout:      pkg (deb-like); log in as ${info.user}, run bin/emqx through sudo (bin/emqx refuses ${info.user})`,
    );
  if (n) {
    lines.push(
      'try:',
      `  ssh -i ${sq(info.keyPath)} -o UserKnownHostsFile=${sq(info.knownHostsPath)} -p ${n.sshPort} ${info.user}@${n.host} ${sq(`${pkg ? 'sudo -n ' : ''}${n.rootDir}/bin/emqx ctl status`)}`,
      `  emqx-rollout plan -i ${sq(info.inventoryPath)} --tarball ${sq(info.tarballPath)}`,
      `stop it with: emqx-rollout sandbox down --dir ${sq(info.dir)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
