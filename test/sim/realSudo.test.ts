// A package-layout simulated node behind REAL OpenSSH sshd, reached as REAL non-root users through
// REAL sudo: the test creates a service user (owns the install and runs the daemon, like the deb's
// `emqx`), a login user with passwordless sudo to it and to root, and a login user whose sudo wants a
// password, plus a sudoers drop-in; everything is removed afterwards. It proves that bin/emqx's
// check_user uses the real `whoami`, that `sudo -n -u <svc>` passes it, that sudo to root goes
// through the real `su - <svc>`, and that the simulator's sudo shim prints what real sudo prints.
// Needs root (CI runs as root), sshd, sudo and useradd: otherwise skipped with a printed reason,
// except under CI=true, where a missing prerequisite fails.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePackageInstall, stopNodeDaemon } from '../../src/sim/cluster.js';
import { nodeConfigPath } from '../../src/sim/layout.js';
import { sudoShimScript } from '../../src/sim/shims.js';
import { writeState } from '../../src/sim/state.js';
import { buildReleaseTarball } from '../../src/sim/tarball.js';
import { makeClientKey, SSHD_PATH, startSshd, type SshdInstance } from '../support/sshd.js';
import { ensureBuilt, runCmd, type Run } from './helpers.js';

function missingPrerequisite(): string | null {
  const missing: string[] = [];
  if (!SSHD_PATH) missing.push('OpenSSH sshd (apt-get install -y openssh-server)');
  if (!existsSync('/usr/bin/sudo')) missing.push('sudo (apt-get install -y sudo)');
  if (!existsSync('/usr/sbin/useradd')) missing.push('useradd (passwd package)');
  if (process.getuid?.() !== 0) missing.push('root (the test creates real users and a sudoers drop-in)');
  if (missing.length === 0) return null;
  const why = `real-sudo test needs ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${why} (required under CI=true)`);
  console.warn(`[skip] ${why}`);
  return why;
}

const tag = randomBytes(3).toString('hex');
const SVC = `ersvc${tag}`; // the service user (RUNNER_USER), like the deb's `emqx`
const OP = `erop${tag}`; // login user: NOPASSWD sudo to SVC and root
const OP2 = `erpw${tag}`; // login user: sudo to SVC wants a password
const OP2_PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
const SUDOERS = `/etc/sudoers.d/emqx-rollout-test-${tag}`;
const NAME = 'emqx@127.0.0.1';
const CHECK_USER = 'You need to be root or use sudo to run this command\n';

const sh = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

describe.skipIf(missingPrerequisite() !== null)('a pkg node over real sshd and real sudo', () => {
  let dir: string;
  let root: string;
  let dataDir: string;
  let sshd: SshdInstance;
  let keyPath: string;
  let knownHosts: string;
  const created: string[] = [];
  const as = (user: string, command: string): Promise<Run> =>
    runCmd('ssh', [
      '-i',
      keyPath,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-p',
      String(sshd.port),
      `${user}@${sshd.host}`,
      command,
    ]);

  beforeAll(async () => {
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'sim-realsudo-'));
    chmodSync(dir, 0o755); // the users must traverse it
    // users: a service user with a login shell (su - needs one), login users not locked for sshd
    sh('useradd', ['-m', '-s', '/bin/sh', '-d', join(dir, 'home-svc'), SVC]);
    created.push(SVC);
    for (const u of [OP, OP2]) {
      sh('useradd', ['-m', '-s', '/bin/sh', '-d', join(dir, `home-${u}`), u]);
      created.push(u);
    }
    sh('usermod', ['-p', '*', OP]); // '*': no password, but not "locked" (sshd refuses locked accounts)
    sh('chpasswd', [], `${OP2}:${OP2_PASSWORD}\n`);
    writeFileSync(
      SUDOERS,
      [
        `Defaults:${OP},${OP2} lecture=never`,
        `${OP} ALL=(root,${SVC}) NOPASSWD: ALL`,
        `${OP2} ALL=(${SVC}) ALL`,
        '',
      ].join('\n'),
      { mode: 0o440 },
    );
    sh('visudo', ['-cf', SUDOERS]);

    // a package install owned by the service user (postinst: chown -R emqx:emqx /usr/lib/emqx)
    const nodeDir = join(dir, 'node');
    root = join(nodeDir, 'usr/lib/emqx');
    dataDir = join(nodeDir, 'var/lib/emqx');
    mkdirSync(root, { recursive: true });
    const rel = await buildReleaseTarball({ version: '5.10.4', outDir: join(dir, 'build') });
    await tar.x({ file: rel.tarballPath, cwd: root });
    await makePackageInstall({
      nodeDir,
      rootDir: root,
      etcDir: join(nodeDir, 'etc/emqx'),
      dataDir,
      logDir: join(nodeDir, 'var/log/emqx'),
      from: '5.10.4',
      serviceUser: SVC,
      name: NAME,
      realSu: true,
    });
    writeFileSync(
      nodeConfigPath(root),
      JSON.stringify({ name: NAME, mqttHost: '127.0.0.1', mqttPort: 0, layout: 'pkg', dataDir }),
    );
    writeState(root, { logs: [], catalog: [{ from: '5.10.4', target: '5.10.5' }] });
    sh('chown', ['-R', `${SVC}:${SVC}`, nodeDir]);
    // root starts it: bin/emqx's check_user execs the real `su - <svc>`, so the daemon runs as <svc>
    const started = await runCmd(join(root, 'bin/emqx'), ['start']);
    expect(started).toMatchObject({ stdout: 'EMQX Enterprise 5.10.4 is started successfully!\n', code: 0 });

    const key = await makeClientKey(dir);
    keyPath = key.privatePath;
    chmodSync(keyPath, 0o600);
    sshd = await startSshd({ authorizedKeys: `${key.publicKey}\n` });
    // sshd reads authorized_keys as the logging-in user
    chmodSync(sshd.dir, 0o755);
    chmodSync(join(sshd.dir, 'authorized_keys'), 0o644);
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `[${sshd.host}]:${sshd.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`);
  }, 120_000);

  afterAll(async () => {
    if (root) await stopNodeDaemon(root);
    await sshd?.stop();
    rmSync(SUDOERS, { force: true });
    for (const u of created) {
      try {
        sh('userdel', ['-r', '-f', u]);
      } catch {
        // the home is under dir (removed below); userdel -r complaining about mail spool is fine
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the daemon runs as the service user and shows its data dir on its command line', () => {
    const pid = readFileSync(join(root, '.sim/daemon.pid'), 'utf8').trim();
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    expect(uid).toBe(sh('id', ['-u', SVC]).trim());
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(-3, -1)).toEqual(['-emqx_data_dir', dataDir]);
  });

  it('check_user refuses the real login user; real sudo -n -u <svc> and sudo to root (real su -) pass', async () => {
    const bin = join(root, 'bin/emqx');
    expect(await as(OP, 'whoami')).toMatchObject({ stdout: `${OP}\n`, code: 0 });
    expect(await as(OP, `${bin} ctl status`)).toEqual({ stdout: CHECK_USER, stderr: '', code: 1 });
    const status = { stdout: `Node '${NAME}' 5.10.4 is started\n`, stderr: '', code: 0 };
    expect(await as(OP, `sudo -n -u ${SVC} ${bin} ctl status`)).toEqual(status);
    expect(await as(OP, `sudo -n ${bin} ctl status`)).toEqual(status);
    expect(await as(OP, `sudo -n -u ${SVC} ${bin} ctl rebalance node-status`)).toEqual({
      stdout: 'Rebalance disabled\n',
      stderr: '',
      code: 0,
    });
  });

  it("real sudo's password messages are the ones the simulator's shim prints", async () => {
    const bin = join(root, 'bin/emqx');
    const realN = await as(OP2, `sudo -n -u ${SVC} ${bin} ctl status`);
    expect(realN).toEqual({ stdout: '', stderr: 'sudo: a password is required\n', code: 1 });
    const realS = await as(OP2, `echo '${OP2_PASSWORD}' | sudo -S -u ${SVC} ${bin} ctl status`);
    expect(realS).toEqual({
      stdout: `Node '${NAME}' 5.10.4 is started\n`,
      stderr: `[sudo] password for ${OP2}: `,
      code: 0,
    });
    // the shim, as the in-process SSH server would run it for the same login user and policy
    const shim = join(dir, 'shim');
    mkdirSync(shim, { recursive: true });
    writeFileSync(join(shim, 'sudo'), sudoShimScript(), { mode: 0o755 });
    writeFileSync(join(dir, 'sudoers.sim'), `policy password\npassword ${OP2_PASSWORD}\n`);
    const env = {
      ...process.env,
      PATH: `${shim}:${process.env.PATH}`,
      EMQX_SIM_LOGIN_USER: OP2,
      EMQX_SIM_SUDOERS: join(dir, 'sudoers.sim'),
    };
    expect(await runCmd('/bin/sh', ['-c', 'sudo -n -u x true'], env)).toEqual({
      stdout: '',
      stderr: realN.stderr,
      code: 1,
    });
    expect(await runCmd('/bin/sh', ['-c', `echo '${OP2_PASSWORD}' | sudo -S -u x true`], env)).toEqual({
      stdout: '',
      stderr: realS.stderr,
      code: 0,
    });
  });
});
