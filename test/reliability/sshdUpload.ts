// "sshd killed during an upload": the first run reaches the nodes through REAL OpenSSH sshd (one per
// node on 127.0.0.5x), and node 2's sshd — listener and session processes, all started here — is
// SIGKILLed while the tarball streams to it. The run must halt before any node is upgraded; the
// re-run (through the nodes' own SSH servers: the node is back, by another door) must resume the
// partial upload instead of sending it again.
import { readFileSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { SimCluster } from '../../src/sim/cluster.js';
import { knownHostsLine, startSshd, type SshdInstance } from '../support/sshd.js';
import { startCli, type CliResult } from '../e2e/support/crashCli.js';
import type { CaseContext } from './harness.js';

const yq = (s: string): string => JSON.stringify(s);

/** pid and every descendant (from /proc), deepest first: the processes an sshd we started forked. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) walk(c);
    out.push(p);
  };
  walk(root);
  return out;
}

/** SIGKILL of an sshd we started and every process it forked (listener and sessions). */
export function killTree(root: number): void {
  for (const pid of processTree(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function sshdInventory(c: SimCluster, ssh: readonly SshdInstance[], knownHosts: string): string {
  const lines = [
    'cluster: sim',
    'defaults:',
    `  user: ${yq(userInfo().username)}`,
    `  identityFile: ${yq(c.keyPath)}`,
    `  knownHosts: ${yq(knownHosts)}`,
    'nodes:',
  ];
  c.nodes.forEach((n, i) => {
    lines.push(
      `  - name: ${yq(n.name)}`,
      `    host: ${yq(ssh[i].host)}`,
      `    port: ${ssh[i].port}`,
      `    rootDir: ${yq(n.rootDir)}`,
      `    stagingDir: ${yq(n.stagingDir)}`,
      `    backupDir: ${yq(n.backupDir)}`,
    );
  });
  lines.push('gates:', '  soakSeconds: 0', '  timeoutSeconds: 60', '');
  return lines.join('\n');
}

export async function killSshdDuringUpload({ c }: CaseContext): Promise<CliResult> {
  const pub = await readFile(`${c.keyPath}.pub`, 'utf8');
  const ssh: SshdInstance[] = [];
  try {
    for (let i = 0; i < c.nodes.length; i++)
      ssh.push(await startSshd({ host: `127.0.0.${51 + i}`, authorizedKeys: pub }));
    // Next to the sim inventory, same cluster name: one journal for both runs.
    const kh = join(dirname(c.inventoryPath), 'known_hosts.sshd');
    await writeFile(kh, ssh.map((s) => `${knownHostsLine(s.host, s.port, s.hostPublicKey)}\n`).join(''));
    const inv = join(dirname(c.inventoryPath), 'inventory.sshd.yaml');
    await writeFile(inv, sshdInventory(c, ssh, kh));
    const size = Number((await readFile(c.tarballPath)).length);
    const run = startCli([
      'upgrade',
      '-i',
      inv,
      '--tarball',
      c.tarballPath,
      '--yes',
      '--json',
      '--stage-concurrency',
      '1',
    ]);
    const n2 = c.nodes[1].name;
    await run.waitFor(
      (e) => e.type === 'stage.progress' && e.node === n2 && e.done === false && Number(e.bytesDone) > size / 5,
      90_000,
      `upload to ${n2} past 20%`,
    );
    killTree(ssh[1].pid);
    return await run.done;
  } finally {
    await Promise.all(ssh.map((s) => s.stop().catch(() => undefined)));
  }
}
