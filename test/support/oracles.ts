// The external programs some tests use as oracles: OpenSSH's `ssh -G` and Ansible's
// `ansible-inventory`. Policy as for sshd: missing → skip with a printed reason, except under
// CI=true, where a missing prerequisite must fail.
import { spawnSync } from 'node:child_process';

function have(cmd: string, args: string[], install: string): boolean {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!r.error && r.status === 0) return true;
  if (process.env.CI === 'true') throw new Error(`${cmd} is required under CI=true: ${install}`);
  console.warn(`[skip] ${cmd} not found: oracle tests skipped; ${install}`);
  return false;
}

export const haveSsh = () => have('ssh', ['-V'], 'apt-get install -y openssh-client');
export const haveAnsible = () => have('ansible-inventory', ['--version'], 'apt-get install -y ansible-core');

/** `ssh -G` for one host: key → values (multi-valued keys such as identityfile keep every line). */
export function sshG(
  configFile: string,
  host: string,
  opts: { home?: string; user?: string; port?: number } = {},
): Map<string, string[]> {
  const args = [
    '-G',
    '-F',
    configFile,
    ...(opts.user ? ['-l', opts.user] : []),
    ...(opts.port ? ['-p', String(opts.port)] : []),
    host,
  ];
  const r = spawnSync('ssh', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, ...(opts.home ? { HOME: opts.home } : {}) },
  });
  if (r.status !== 0) throw new Error(`ssh ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const m = line.match(/^(\S+) (.*)$/);
    if (!m) continue;
    out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}
