// The BUILT CLI against a PACKAGE-LAYOUT simulated cluster (src/sim/README.md, layout `pkg`) reached
// by REAL non-root users through REAL OpenSSH sshd and REAL sudo. The nodes are the simulator's
// (startSimCluster, 2 nodes), each behind its own sshd on 127.0.0.41/.42; the test creates real
// accounts and a sudoers drop-in (as test/sim/realSudo.test.ts does) and removes them afterwards:
//   - SVC: the service user (RUNNER_USER, like the deb's `emqx`): owns the node dirs, the daemons
//     run as it (restarted through bin/emqx as root → the REAL `su - SVC`, marker .sim/real_su);
//   - OP:  login user, NOPASSWD sudo to root;
//   - OP2: login user whose sudo to root wants a password (set with chpasswd).
// Nothing about the caller is simulated: check_user uses the real `whoami`, `become: sudo` runs the
// real `sudo -n|-S -u root`, the VM reads the staged files as SVC through real permission bits.
// Needs root, sshd, sudo and useradd: otherwise skipped with a printed reason, except under CI=true,
// where a missing prerequisite fails.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, stopNodeDaemon, type SimCluster } from '../../src/sim/cluster.js';
import { realSuPath } from '../../src/sim/layout.js';
import { SSHD_PATH, knownHostsLine, startSshd, type SshdInstance } from '../support/sshd.js';
import { runCli, upgradeArgs, type CliRun, type CliEvent } from './support/cli.js';

function missingPrerequisite(): string | null {
  const missing: string[] = [];
  if (!SSHD_PATH) missing.push('OpenSSH sshd (apt-get install -y openssh-server)');
  if (!existsSync('/usr/bin/sudo')) missing.push('sudo (apt-get install -y sudo)');
  if (!existsSync('/usr/sbin/useradd')) missing.push('useradd (passwd package)');
  if (process.getuid?.() !== 0) missing.push('root (the test creates real users and a sudoers drop-in)');
  if (missing.length === 0) return null;
  const why = `pkg-install e2e test needs ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${why} (required under CI=true)`);
  console.warn(`[skip] ${why}`);
  return why;
}

const tag = randomBytes(3).toString('hex');
const SVC = `erpksv${tag}`; // the service user (RUNNER_USER), a real account like the deb's `emqx`
const OP = `erpkop${tag}`; // NOPASSWD sudo to root
const OP2 = `erpkpw${tag}`; // sudo to root wants a password
const OP2_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const SUDOERS = `/etc/sudoers.d/emqx-rollout-pkge2e-${tag}`;
const HOSTS = ['127.0.0.41', '127.0.0.42']; // away from the sim's 127.0.0.11– and sshd.test's .21–.23

const sh = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
const yq = (s: string): string => JSON.stringify(s);

function explain(r: CliRun): string {
  return `exit ${r.code} (${r.signal ?? 'no signal'}) after ${r.durationMs} ms\n--- stdout (tail)\n${r.stdout.slice(-6000)}\n--- stderr (tail)\n${r.stderr.slice(-4000)}`;
}

/** Every finding of a run: the plan's, its nodes', and any preflight/finding events. */
function findings(events: readonly CliEvent[]): Array<{ code: string; node?: string; message?: string; fix?: string }> {
  const out: Array<{ code: string; node?: string; message?: string; fix?: string }> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.code === 'string' && typeof o.severity === 'string') out.push(o as never);
      Object.values(o).forEach(walk);
    }
  };
  walk(events);
  return out;
}

describe.skipIf(missingPrerequisite() !== null)(
  'a package install behind real sshd, a non-root login and real sudo',
  () => {
    let dir: string;
    let c: SimCluster;
    const sshds: SshdInstance[] = [];
    const created: string[] = [];
    let knownHosts: string;

    /** An inventory for login `user`, in its own dir (so its journal is its own). */
    function inventory(name: string, user: string, become: boolean, staging: (i: number) => string): string {
      const lines = [
        `cluster: ${yq(name)}`,
        'defaults:',
        `  user: ${yq(user)}`,
        `  identityFile: ${yq(c.keyPath)}`,
        `  knownHosts: ${yq(knownHosts)}`,
        ...(become ? ['  become: "sudo"'] : []),
        '  sshConfig: none',
        'nodes:',
      ];
      c.nodes.forEach((n, i) => {
        lines.push(
          `  - name: ${yq(n.name)}`,
          `    host: ${yq(sshds[i].host)}`,
          `    port: ${sshds[i].port}`,
          `    rootDir: ${yq(n.rootDir)}`,
          `    stagingDir: ${yq(staging(i))}`,
          `    backupDir: ${yq(n.backupDir)}`,
        );
      });
      lines.push('gates:', '  soakSeconds: 0', '  timeoutSeconds: 60', '');
      const d = join(dir, `inv-${name}`);
      mkdirSync(d, { recursive: true });
      const p = join(d, 'inventory.yaml');
      writeFileSync(p, lines.join('\n'));
      return p;
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'emqx-rollout-e2e-pkg-'));
      // the service user (a login shell: `su -` needs one) and the login users (not locked: sshd
      // refuses locked accounts), homes under dir
      for (const u of [SVC, OP, OP2]) {
        sh('useradd', ['-m', '-s', '/bin/sh', '-d', join(dir, `home-${u}`), u]);
        created.push(u);
      }
      sh('usermod', ['-p', '*', OP]);
      sh('chpasswd', [], `${OP2}:${OP2_PASSWORD}\n`);
      writeFileSync(
        SUDOERS,
        [
          `Defaults:${OP},${OP2} lecture=never`,
          `Defaults:${OP2} timestamp_timeout=0`,
          `${OP} ALL=(root) NOPASSWD: ALL`,
          `${OP2} ALL=(root) ALL`,
          '',
        ].join('\n'),
        { mode: 0o440 },
      );
      sh('visudo', ['-cf', SUDOERS]);

      // package form target: a restart into relup/<T>/ would find emqx.conf (facts A3)
      c = await startSimCluster({
        dir,
        nodes: 2,
        layout: 'pkg',
        sshUser: OP,
        serviceUser: SVC,
        soakSeconds: 0,
        targetForm: 'pkg',
      });
      const uid = (u: string): number => Number(sh('id', ['-u', u]).trim());
      const gid = (u: string): number => Number(sh('id', ['-g', u]).trim());
      // Make the service user real, as a package's postinst + systemd would: the install and the node
      // dirs are its own, and the daemon runs as it. bin/emqx as root then execs the REAL `su - SVC`
      // (marker .sim/real_su), whose login profile gives the VM its TMPDIR (inside the sandbox).
      const svcTmp = join(dir, 'svc-tmp');
      mkdirSync(svcTmp, { recursive: true });
      writeFileSync(join(dir, `home-${SVC}`, '.profile'), `export TMPDIR=${svcTmp}\n`);
      for (const n of c.nodes) {
        await stopNodeDaemon(n.rootDir);
        writeFileSync(realSuPath(n.rootDir), '');
        sh('chown', ['-R', `${SVC}:${SVC}`, join(n.rootDir, '..', '..', '..')]);
      }
      sh('chown', ['-R', `${SVC}:${SVC}`, svcTmp, join(dir, `home-${SVC}`)]);
      for (const n of c.nodes) {
        const env = { ...process.env };
        delete env.EMQX_SIM_LOGIN_USER;
        const out = execFileSync(join(n.rootDir, 'bin', 'emqx'), ['start'], { encoding: 'utf8', env, timeout: 60_000 });
        expect(out).toContain('is started successfully');
        const pid = readFileSync(join(n.rootDir, '.sim', 'daemon.pid'), 'utf8').trim();
        expect(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1], `${n.name} daemon uid`).toBe(
          String(uid(SVC)),
        );
      }
      for (const n of c.nodes) {
        // SFTP staging is the login user's (src/remote/become.ts): its staging dir is its own, 0700,
        // so only the CLI's own chmod (stageModesCommand) lets the service user's VM read the files
        chownSync(n.stagingDir, uid(OP), gid(OP));
        chmodSync(n.stagingDir, 0o700);
        const s2 = `${n.stagingDir}-${OP2}`;
        mkdirSync(s2, { recursive: true });
        chownSync(s2, uid(OP2), gid(OP2));
      }
      const pub = readFileSync(`${c.keyPath}.pub`, 'utf8');
      for (const h of HOSTS) {
        const s = await startSshd({ host: h, authorizedKeys: pub });
        sshds.push(s);
        // sshd reads authorized_keys as the logging-in user
        execFileSync('chmod', ['0755', s.dir]);
        execFileSync('chmod', ['0644', join(s.dir, 'authorized_keys')]);
      }
      knownHosts = join(dir, 'known_hosts.sshd');
      writeFileSync(knownHosts, sshds.map((s) => `${knownHostsLine(s.host, s.port, s.hostPublicKey)}\n`).join(''));
    }, 120_000);

    afterAll(async () => {
      await Promise.all(sshds.map((s) => s.stop()));
      await c?.stop();
      rmSync(SUDOERS, { force: true });
      for (const u of created) {
        try {
          sh('userdel', ['-r', '-f', u]);
        } catch {
          // the home is under dir (removed below)
        }
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const planArgs = (inv: string): string[] => ['plan', '-i', inv, '--tarball', c.tarballPath, '--json'];

    it('case 1: plan without become as the non-root user → exit 3, check-user-refused naming each node, fix says become: sudo', async () => {
      const inv = inventory('nobecome', OP, false, (i) => c.nodes[i].stagingDir);
      const r = await runCli(planArgs(inv), { timeoutMs: 60_000 });
      expect(r.code, explain(r)).toBe(3);
      const f = findings(r.events()).filter((x) => x.code === 'check-user-refused');
      for (const n of c.nodes) {
        const mine = f.filter((x) => x.node === n.name);
        expect(mine.length, `${n.name}\n${explain(r)}`).toBeGreaterThanOrEqual(1);
        expect(mine[0].message).toContain(n.name);
        expect(mine[0].message).toContain(OP);
        expect(mine[0].fix).toMatch(/become: sudo/);
      }
    }, 90_000);

    it('case 2: plan with become: sudo (NOPASSWD) → exit 0; each node shows the package dirs and the service user', async () => {
      const inv = inventory('nopasswd', OP, true, (i) => c.nodes[i].stagingDir);
      const r = await runCli(planArgs(inv), { timeoutMs: 60_000 });
      expect(r.code, explain(r)).toBe(0);
      const plan = r.events().find((e) => e.type === 'plan.ready')?.plan as {
        nodes: Array<{ name: string; layout?: Record<string, unknown> }>;
      };
      expect(plan, explain(r)).toBeDefined();
      for (const n of c.nodes) {
        const l = plan.nodes.find((p) => p.name === n.name)?.layout;
        expect(l, n.name).toMatchObject({
          relform: 'deb',
          rootDir: n.rootDir,
          etcDir: n.etcDir,
          dataDir: n.dataDir,
          logDir: n.logDir,
          runnerUser: SVC,
          become: 'sudo -u root',
        });
        for (const d of [l!.etcDir, l!.dataDir, l!.logDir] as string[])
          expect(d.startsWith(`${n.rootDir}/`), d).toBe(false);
      }
    }, 90_000);

    it('case 4: sudo wants a password → exit 3 become-password-required; with EMQX_ROLLOUT_BECOME_PASSWORD → exit 0, the password nowhere', async () => {
      const inv = inventory('passwd', OP2, true, (i) => `${c.nodes[i].stagingDir}-${OP2}`);
      const childEnv = { ...process.env };
      delete childEnv.EMQX_ROLLOUT_BECOME_PASSWORD;
      const r1 = await runCli(planArgs(inv), { timeoutMs: 60_000, env: childEnv });
      expect(r1.code, explain(r1)).toBe(3);
      const f = findings(r1.events()).filter((x) => x.code === 'become-password-required');
      for (const n of c.nodes)
        expect(
          f.some((x) => x.node === n.name),
          `${n.name}\n${explain(r1)}`,
        ).toBe(true);

      const r2 = await runCli(planArgs(inv), {
        timeoutMs: 60_000,
        env: { ...childEnv, EMQX_ROLLOUT_BECOME_PASSWORD: OP2_PASSWORD },
      });
      expect(r2.code, explain(r2)).toBe(0);
      expect(r2.events().some((e) => e.type === 'plan.ready')).toBe(true);
      for (const out of [r1.stdout, r1.stderr, r2.stdout, r2.stderr]) expect(out).not.toContain(OP2_PASSWORD);
      const journalDir = join(dir, 'inv-passwd', '.emqx-rollout');
      const journals = existsSync(journalDir)
        ? readdirSync(journalDir, { recursive: true })
            .map(String)
            .filter((p) => p.endsWith('journal.ndjson'))
        : [];
      for (const j of journals) expect(readFileSync(join(journalDir, j), 'utf8')).not.toContain(OP2_PASSWORD);
      console.log(`[info] case 4 journals checked: ${journals.length ? journals.join(', ') : 'none written by plan'}`);
    }, 120_000);

    it('case 3: upgrade --yes --json with become: sudo → exit 0; every node at the target; backup holds the package dirs; staged files 0644', async () => {
      const inv = inventory('nopasswd', OP, true, (i) => c.nodes[i].stagingDir);
      const r = await runCli(upgradeArgs(inv, c.tarballPath), { timeoutMs: 150_000 });
      expect(r.code, explain(r)).toBe(0);
      const ev = r.events();
      expect(ev.filter((e) => e.type === 'node.done' && e.outcome === 'upgraded').map((e) => e.node)).toEqual(
        c.nodes.map((n) => n.name),
      );
      for (const n of c.nodes) {
        const st = sh(join(n.rootDir, 'bin', 'emqx'), ['ctl', 'status']);
        expect(st, n.name).toContain(c.to);
        // the hot upgrade ran in the VM as the real service user: the deployed tree is its, the
        // extraction is in its TMPDIR (its login profile), the daemon still runs as it
        expect(statSync(join(n.rootDir, 'relup', c.to)).uid, `${n.name} relup/${c.to} owner`).toBe(
          Number(sh('id', ['-u', SVC]).trim()),
        );
        const pid = readFileSync(join(n.rootDir, '.sim', 'daemon.pid'), 'utf8').trim();
        expect(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1], `${n.name} daemon uid`).toBe(
          sh('id', ['-u', SVC]).trim(),
        );
        // the backup archive: the real etc, data and log dirs (outside the root)
        const archives = readdirSync(n.backupDir, { recursive: true })
          .map(String)
          .filter((p) => /\.(tar\.gz|tgz)$/.test(p));
        expect(
          archives.length,
          `${n.name}: ${readdirSync(n.backupDir, { recursive: true }).join(', ')}`,
        ).toBeGreaterThanOrEqual(1);
        const list = sh('tar', ['-tzf', join(n.backupDir, archives[0])])
          .split('\n')
          .map((l) => `/${l.replace(/^\/+/, '')}`);
        for (const d of [n.etcDir, n.dataDir, n.logDir]) {
          expect(
            list.some((l) => l === d || l.startsWith(`${d}/`)),
            `${n.name}: ${d} in ${archives[0]}:\n${list.slice(0, 40).join('\n')}`,
          ).toBe(true);
        }
        expect(
          list.some((l) => l === `${n.etcDir}/emqx.conf`),
          `${n.name}: emqx.conf`,
        ).toBe(true);
        // staged tarball and sidecar: world-readable for the service user's VM (facts A4)
        const base = c.tarballPath.slice(c.tarballPath.lastIndexOf('/') + 1);
        const sidecar = c.sidecarPath.slice(c.sidecarPath.lastIndexOf('/') + 1);
        for (const f of [base, sidecar]) {
          const mode = statSync(join(n.stagingDir, f)).mode & 0o777;
          expect(mode.toString(8), `${n.name}: ${f}`).toBe('644');
          // staged over SFTP by the login user, not by root
          expect(statSync(join(n.stagingDir, f)).uid, `${n.name}: ${f} owner`).toBe(
            Number(sh('id', ['-u', OP]).trim()),
          );
        }
        expect((statSync(n.stagingDir).mode & 0o005).toString(8), `${n.name}: staging dir o+rx`).toBe('5');
      }
      expect(
        readdirSync(join(dir, 'svc-tmp')).filter((e) => e.startsWith('emqx_relup_')).length,
      ).toBeGreaterThanOrEqual(1);
      // the sessions really went through OpenSSH as the non-root users
      for (const s of sshds) {
        expect(s.log(), s.host).toContain(`Accepted publickey for ${OP} `);
        expect(s.log(), s.host).toContain(`Accepted publickey for ${OP2} `);
        expect(s.log(), s.host).not.toMatch(/Accepted publickey for root /);
      }
    }, 180_000);
  },
);
