// The real failure shapes of a hop on a package-layout node (facts A2, A3 "Risk", A4, A5, A6), each
// injected as a fault and observed the way an orchestrator would: over SSH through sudo, with exact
// stdout/stderr/exit codes and the files left behind.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster, type SimClusterNode } from '../../src/sim/cluster.js';
import { clearFaults, setFaults } from '../../src/sim/faults.js';
import { sha256File } from '../../src/sim/tarball.js';
import { ensureBuilt, runCmd, ssh } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function harness(get: () => SimCluster) {
  const on = (n: SimClusterNode, cmd: string) => {
    const c = get();
    return ssh({ key: c.keyPath, knownHosts: c.knownHostsPath, port: n.sshPort, user: c.user, host: n.host }, cmd);
  };
  const svc = (n: SimClusterNode, args: string) => on(n, `sudo -n -u emqx ${n.rootDir}/bin/emqx ${args}`);
  /** Locally, as the service user (no SSH round trip: for the timing of the boot windows). */
  const local = (n: SimClusterNode, ...args: string[]) =>
    runCmd(join(n.rootDir, 'bin', 'emqx'), args, { ...process.env, EMQX_SIM_LOGIN_USER: 'emqx', TMPDIR: n.tmpDir });
  return { on, svc, local };
}

describe('non-map relup failures, boot windows, uptime, memory (pkg node, official tgz-form target)', () => {
  let dir: string;
  let c: SimCluster;
  let n: SimClusterNode;
  const { on, svc, local } = harness(() => c);
  const upgrade = () => svc(n, `ctl relup upgrade ${c.tarballPath}`);
  const status = (vsn: string) => `Node '${n.name}' ${vsn} is started\n`;

  beforeAll(async () => {
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'sim-fail-'));
    c = await startSimCluster({ dir, nodes: 1, layout: 'pkg' });
    n = c.nodes[0];
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the VM (service user) reads the staged tarball and sidecar only through "other" permission bits', async () => {
    const staged = join(n.stagingDir, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz');
    await copyFile(c.tarballPath, staged);
    await copyFile(`${c.tarballPath}.sha256`, `${staged}.sha256`);
    await chmod(`${staged}.sha256`, 0o600);
    let r = await svc(n, `ctl relup upgrade ${staged}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/err_type => cannot_read_sha256_sidecar,[\s\S]*reason => eacces/);
    await chmod(`${staged}.sha256`, 0o644);
    await chmod(staged, 0o640);
    r = await svc(n, `ctl relup upgrade ${staged}`);
    expect(r.stdout).toMatch(/err_type => exception,\n[\s\S]*\{error,\{badmatch,\{error,eacces\}\}\}/);
    await rm(staged);
    await rm(`${staged}.sha256`);
    await svc(n, 'ctl relup logs-clear');
  });

  it('B: the deploy copy fails (sh_aborted): empty output, exit 1, stale in-progress row, partial relup/<T>/, no code change', async () => {
    await setFaults(n.rootDir, { deployFails: true });
    try {
      expect(await upgrade()).toEqual({ stdout: '', stderr: '', code: 1 });
    } finally {
      await clearFaults(n.rootDir);
    }
    expect(await svc(n, 'ctl relup status')).toEqual({ stdout: 'in-progress\n', stderr: '', code: 0 });
    expect((await svc(n, 'ctl relup logs')).stdout).toMatch(/ 5\.10\.4 -> {2}status='in-progress' result=<<>>\n$/);
    expect((await svc(n, 'ctl status')).stdout).toBe(status('5.10.4'));
    expect(readdirSync(join(n.rootDir, 'relup', '5.10.5'))).toEqual(['bin']);
    expect(existsSync(join(n.rootDir, 'relup', 'current'))).toBe(false);
    expect(readdirSync(n.rootDir).some((f) => f.startsWith('relup_'))).toBe(false); // no troubleshoot file
    // the extraction (whole tarball, U) stays in the node's TMPDIR, keyed by the digest
    const hash16 = (await sha256File(c.tarballPath)).slice(0, 16);
    const ext = join(n.tmpDir, `emqx_relup_${hash16}`);
    expect(readdirSync(ext).sort()).toEqual([
      'bin',
      'data',
      'erts-15.2.7.2',
      'etc',
      'lib',
      'log',
      'plugins',
      'releases',
      'relup',
    ]);
    expect(readFileSync(join(n.logDir, 'emqx.log'), 'utf8')).toMatch(
      /sh_failed[^\n]*\n[^\n]*check_upgrade_failed[^\n]*reason: sh_aborted/,
    );
  });

  it('A: the marker write fails (enospc): empty output, exit 1, the target runs, no marker; a retry says already upgraded', async () => {
    await setFaults(n.rootDir, { markerWriteFails: true });
    try {
      expect(await upgrade()).toEqual({ stdout: '', stderr: '', code: 1 });
    } finally {
      await clearFaults(n.rootDir);
    }
    expect((await svc(n, 'ctl status')).stdout).toBe(status('5.10.5'));
    expect((await svc(n, 'ctl relup status')).stdout).toBe('in-progress\n');
    expect(existsSync(join(n.rootDir, 'relup', 'current'))).toBe(false);
    expect(readdirSync(join(n.rootDir, 'relup', '5.10.5')).sort()).toEqual(['bin', 'erts-15.2.7.2', 'lib', 'releases']);
    expect(readdirSync(n.rootDir).some((f) => /^relup_\d{4}-/.test(f))).toBe(true);
    expect((await upgrade()).stdout).toContain('err_type => already_upgraded_to_target_vsn');
    // a restart without a marker boots the old tree
    expect((await svc(n, 'stop')).stdout).toBe('ok\n');
    expect((await svc(n, 'start')).stdout).toBe('EMQX Enterprise 5.10.4 is started successfully!\n');
    expect((await svc(n, 'ctl status')).stdout).toBe(status('5.10.4'));
  });

  it('C: a crash in the code change restarts the VM: empty output (fault), same pid, uptime not reset', async () => {
    const pid = (await svc(n, 'pid')).stdout;
    await sleep(2000);
    await setFaults(n.rootDir, { crashDuringCodeChange: true, vmRestartEmptyOutput: true });
    try {
      expect(await upgrade()).toEqual({ stdout: '', stderr: '', code: 1 });
    } finally {
      await clearFaults(n.rootDir);
    }
    await sleep(1200);
    expect((await svc(n, 'pid')).stdout).toBe(pid);
    expect((await svc(n, 'ctl status')).stdout).toBe(status('5.10.4'));
    expect((await svc(n, 'ctl relup status')).stdout).toBe('in-progress\n');
    const up = /uptime {4}: (\d+) seconds\n$/.exec((await svc(n, 'ctl broker')).stdout);
    expect(Number(up?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('boot windows: `Command table is initializing.`, then `No commands available.`, then no relup, then ready', async () => {
    await setFaults(n.rootDir, { bootInitializingMs: 4000, bootNoCommandsMs: 4000, bootRelupMissingMs: 4000 });
    try {
      expect((await local(n, 'stop')).code).toBe(0);
      expect((await local(n, 'start')).code).toBe(0);
      const t0 = Date.now();
      expect(await local(n, 'ctl', 'relup', 'status')).toEqual({
        stdout: 'Command table is initializing.\n',
        stderr: '',
        code: 1,
      });
      expect(await local(n, 'ctl', 'help')).toEqual({
        stdout: 'Command table is initializing.\n',
        stderr: '',
        code: 0,
      });
      expect(Date.now() - t0).toBeLessThan(3500); // else the machine is too slow for the windows below
      await sleep(4300 - (Date.now() - t0));
      expect(await local(n, 'ctl', 'relup', 'status')).toEqual({
        stdout: 'No commands available.\n',
        stderr: '',
        code: 1,
      });
      await sleep(8300 - (Date.now() - t0));
      const r = await local(n, 'ctl', 'relup', 'status');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^Usage: emqx ctl\\n-{110}\\nstatus `));
      expect(r.stdout).not.toContain('relup status');
      expect((await local(n, 'ctl', 'status')).stdout).toBe(status('5.10.4'));
      await sleep(12300 - (Date.now() - t0));
      expect(await local(n, 'ctl', 'relup', 'status')).toEqual({ stdout: 'in-progress\n', stderr: '', code: 0 });
    } finally {
      await clearFaults(n.rootDir);
    }
  });

  it('A3 risk: restarted into the tarball-form relup tree, a package node does not find emqx.conf', async () => {
    await svc(n, 'ctl relup logs-clear');
    expect((await upgrade()).stdout).toBe('upgrade complete\n');
    expect(readFileSync(join(n.rootDir, 'relup', '5.10.5', 'releases', 'emqx_vars'), 'utf8')).toContain(
      '\nRUNNER_USER=""\n',
    );
    expect((await svc(n, 'stop')).stdout).toBe('ok\n');
    const r = await svc(n, 'start');
    expect(r).toEqual({
      stdout: `INFO: Loading emqx from hot-upgrade dir: ${n.rootDir}/relup\n`,
      stderr: `ERROR: emqx.conf is not found in ${n.rootDir}/etc\n`,
      code: 1,
    });
    // the relup tree has RUNNER_USER="": even the login user passes check_user now
    expect(await on(n, `${n.rootDir}/bin/emqx ctl status`)).toEqual({
      stdout: '',
      stderr: `ERROR: emqx.conf is not found in ${n.rootDir}/etc\n`,
      code: 1,
    });
    // recovery: remove the marker, boot the old tree
    await rm(join(n.rootDir, 'relup', 'current'));
    expect((await svc(n, 'start')).stdout).toBe('EMQX Enterprise 5.10.4 is started successfully!\n');
  });

  it('memory: `free` shows the fault; a tarball larger than free memory takes the VM down', async () => {
    await setFaults(n.rootDir, { memLowKb: 1 });
    try {
      const free = await on(n, 'free -k');
      expect(free.stdout.split('\n')[0]).toBe(
        '               total        used        free      shared  buff/cache   available',
      );
      expect(free.stdout.split('\n')[1]).toMatch(/^Mem: +\d+ +\d+ +1 +0 +0 +1$/);
      expect((await on(n, 'free -b')).stdout.split('\n')[1]).toMatch(/ 1024$/);
      expect(await upgrade()).toEqual({ stdout: `RPC to ${n.name} failed: nodedown\n`, stderr: '', code: 1 });
      await sleep(300);
      expect(await svc(n, 'ctl status')).toEqual({
        stdout: '',
        stderr: `Node '${n.name}' not responding to pings.\n`,
        code: 1,
      });
    } finally {
      await clearFaults(n.rootDir);
    }
    expect(Number((await on(n, 'free -k')).stdout.split('\n')[1].trim().split(/\s+/)[6])).toBeGreaterThan(1);
  });
});

describe('a package-form target (targetForm pkg): the restart into relup/<T>/ works and keeps check_user', () => {
  let dir: string;
  let c: SimCluster;
  const { on, svc } = harness(() => c);

  beforeAll(async () => {
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'sim-pkgform-'));
    c = await startSimCluster({ dir, nodes: 1, layout: 'pkg', targetForm: 'pkg' });
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('upgrade, stop, start from relup/5.10.5 with the same etc/data/log', async () => {
    const n = c.nodes[0];
    expect((await svc(n, `ctl relup upgrade ${c.tarballPath}`)).stdout).toBe('upgrade complete\n');
    expect(readFileSync(join(n.rootDir, 'relup/5.10.5/releases/5.10.5/BUILD_INFO'), 'utf8')).toContain(
      'relform: "deb"',
    );
    expect((await svc(n, 'stop')).stdout).toBe('ok\n');
    expect((await svc(n, 'start')).code).toBe(0);
    expect((await svc(n, 'ctl status')).stdout).toBe(`Node '${n.name}' 5.10.5 is started\n`);
    expect((await on(n, `${n.rootDir}/bin/emqx ctl status`)).stdout).toBe(
      'You need to be root or use sudo to run this command\n',
    );
    const pid = (await svc(n, 'pid')).stdout.trim();
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(-3, -1)).toEqual([
      '-emqx_data_dir',
      n.dataDir,
    ]);
  });
});
