// Throwaway real OpenSSH sshd instances on 127.0.0.x, for the remote-layer tests and the staging
// benchmark. (It lives under src/ because the benchmark ships in dist/; test/support/sshd.ts
// re-exports it with the skip/CI policy for tests.)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const SSHD_PATH: string | undefined = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));

export interface SshdOptions {
  /** Loopback address; default 127.0.0.x with a random x in 20..250. */
  readonly host?: string;
  /** authorized_keys content (one or more public key lines). */
  readonly authorizedKeys: string;
  readonly hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa';
  /** Extra sshd_config lines (e.g. `AllowTcpForwarding no`, `MaxSessions 2`). */
  readonly extraConfig?: readonly string[];
  /**
   * Make the login shell skip this machine's dotfiles: bash sources ~/.bashrc for every command sshd
   * runs (Debian's SSH_SOURCE_BASHRC) unless SHLVL is already set, and root's ~/.bashrc here runs
   * `pyenv init` (0.1–0.25 s per exec). `SetEnv SHLVL=1` measures the product instead of the box.
   * Default false (the tests keep what an operator's sshd does); the benchmark turns it on.
   */
  readonly skipDotfiles?: boolean;
}

export interface SshdInstance {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** `ssh-ed25519 AAAA… comment`, as in the .pub file. */
  readonly hostPublicKey: string;
  readonly pid: number;
  /** sshd's own log so far (-e: to stderr; LogLevel VERBOSE). */
  log(): string;
  stop(): Promise<void>;
}

export function sshdConfig(
  dir: string,
  host: string,
  port: number,
  hostKeyFile: string,
  extra: readonly string[] = [],
): string {
  // sshd takes the FIRST value of a keyword, so an extra line replaces the default of the same keyword.
  const kw = (l: string) => l.trim().split(/\s+/)[0].toLowerCase();
  const overridden = new Set(extra.map(kw));
  return [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${hostKeyFile}`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
  ]
    .filter((l) => !overridden.has(kw(l)))
    .concat(extra, [''])
    .join('\n');
}

/** The sshd_config line behind `skipDotfiles` (bash then counts itself a nested shell: no ~/.bashrc). */
export const SKIP_DOTFILES = 'SetEnv SHLVL=1';

const handedOut = new Set<string>();

/**
 * A random 127.0.0.x (20–250) not yet handed out by this process: tests name nodes after their
 * address, so two servers of one test must never draw the same one.
 */
export function randomLoopback(): string {
  for (let i = 0; i < 1000; i++) {
    const a = `127.0.0.${randomInt(20, 251)}`;
    if (!handedOut.has(a)) {
      handedOut.add(a);
      return a;
    }
  }
  handedOut.clear();
  return randomLoopback();
}

export async function startSshd(opts: SshdOptions): Promise<SshdInstance> {
  if (!SSHD_PATH) throw new Error('sshd not installed (apt-get install -y openssh-server)');
  const host = opts.host ?? randomLoopback();
  const dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-sshd-'));
  const type = opts.hostKeyType ?? 'ed25519';
  const hostKeyFile = join(dir, `host_${type}`);
  try {
    await execFileP('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `sshd-${host}`, '-f', hostKeyFile]);
    writeFileSync(join(dir, 'authorized_keys'), opts.authorizedKeys, { mode: 0o600 });
    // sshd refuses to start as root without its privilege-separation directory.
    if (userInfo().uid === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const hostPublicKey = readFileSync(`${hostKeyFile}.pub`, 'utf8').trim();
    let lastLog = '';
    for (let attempt = 0; attempt < 10; attempt++) {
      const port = randomInt(20_000, 60_000);
      const extra = [...(opts.extraConfig ?? []), ...(opts.skipDotfiles ? [SKIP_DOTFILES] : [])];
      writeFileSync(join(dir, 'sshd_config'), sshdConfig(dir, host, port, hostKeyFile, extra));
      const started = await spawnSshd(join(dir, 'sshd_config'), host, port);
      if ('proc' in started) return instance(host, port, dir, hostPublicKey, started.proc, started.log);
      lastLog = started.log;
      if (!/Address already in use/i.test(started.log)) break;
    }
    throw new Error(`sshd on ${host} did not start: ${lastLog.trim()}`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function spawnSshd(
  config: string,
  host: string,
  port: number,
): Promise<{ proc: ChildProcess; log: () => string } | { log: string }> {
  const proc = spawn(SSHD_PATH!, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => {
    // Keep the log bounded: a long test run logs every session.
    log = (log + d).slice(-200_000);
  });
  const exited = new Promise<'exited'>((res) => proc.once('exit', () => res('exited')));
  const up = await Promise.race([waitForBanner(host, port, 5_000, exited), exited]);
  if (up === 'exited') return { log };
  if (up !== 'up') {
    proc.kill('SIGKILL');
    return { log: `${log}\n${up}` };
  }
  return { proc, log: () => log };
}

function waitForBanner(host: string, port: number, timeoutMs: number, exited: Promise<unknown>): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  return new Promise((resolve) => {
    const attempt = () => {
      if (gone) return resolve('exited');
      const s = netConnect(port, host);
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('SSH-2.0-') ? 'up' : `unexpected banner ${JSON.stringify(d.toString())}`);
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) resolve(`no banner on ${host}:${port} after ${timeoutMs} ms`);
        else setTimeout(attempt, 15);
      });
    };
    attempt();
  });
}

function instance(
  host: string,
  port: number,
  dir: string,
  hostPublicKey: string,
  proc: ChildProcess,
  log: () => string,
): SshdInstance {
  return {
    host,
    port,
    dir,
    hostPublicKey,
    pid: proc.pid!,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        const cleanup = () => {
          // A session child can outlive the listener (an Ansible ControlMaster persists 60 s) and holds
          // the inherited stderr: our end of that pipe would keep the bench process alive until then.
          proc.stderr?.destroy();
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (proc.exitCode !== null || proc.signalCode !== null) return cleanup();
        proc.once('exit', cleanup);
        // The listener exits on TERM; per-session children die with their connections.
        proc.kill('SIGTERM');
      }),
  };
}

export interface ClientKey {
  readonly privatePath: string;
  readonly publicPath: string;
  /** `ssh-ed25519 AAAA… comment` */
  readonly publicKey: string;
}

/** A fresh client key pair in `dir` (ssh-keygen, OpenSSH format), optionally passphrase-protected. */
export async function makeClientKey(
  dir: string,
  opts: { passphrase?: string; type?: 'ed25519' | 'rsa' | 'ecdsa'; name?: string } = {},
): Promise<ClientKey> {
  const name = opts.name ?? `client_${opts.type ?? 'ed25519'}_${randomBytes(3).toString('hex')}`;
  const privatePath = join(dir, name);
  await execFileP('ssh-keygen', [
    '-q',
    '-t',
    opts.type ?? 'ed25519',
    '-N',
    opts.passphrase ?? '',
    '-C',
    name,
    '-f',
    privatePath,
  ]);
  return {
    privatePath,
    publicPath: `${privatePath}.pub`,
    publicKey: readFileSync(`${privatePath}.pub`, 'utf8').trim(),
  };
}

/** `[host]:port type base64` (bare host for port 22), from a `.pub`-style line. */
export function knownHostsLine(host: string, port: number, publicKey: string): string {
  const [type, b64] = publicKey.trim().split(/\s+/);
  return `${port === 22 ? host : `[${host}]:${port}`} ${type} ${b64}`;
}

/** The same entry with the host field hashed like `HashKnownHosts yes` writes it. */
export function hashedKnownHostsLine(
  host: string,
  port: number,
  publicKey: string,
  salt: Buffer = randomBytes(20),
): string {
  const [type, b64] = publicKey.trim().split(/\s+/);
  const token = port === 22 ? host : `[${host}]:${port}`;
  const mac = createHmac('sha1', salt).update(token).digest('base64');
  return `|1|${salt.toString('base64')}|${mac} ${type} ${b64}`;
}
