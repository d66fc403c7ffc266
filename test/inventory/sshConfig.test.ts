// Our ssh_config resolution against OpenSSH's own: every config of test/inventory/ssh_config/
// (its `# query:` line lists the host names to ask) resolved by us and by `ssh -G -F file host`,
// compared key by key. Jump chains are compared hop by hop against `ssh -G -l user -p port hop`,
// which is how ssh itself dials each hop (`ssh -J a,b` runs `ssh -J a -W … b`).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fsSshConfigIO } from '../../src/inventory/load.js';
import { loadSshConfig, matchPattern, resolveSshHost, type SshConfig } from '../../src/inventory/sshConfig.js';
import { resolveNodeSsh } from '../../src/inventory/sshResolve.js';
import { haveSsh, sshG } from '../support/oracles.js';

const corpus = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ssh_config');
const SSH = haveSsh();
const work = mkdtempSync(path.join(os.tmpdir(), 'emqx-rollout-sshcfg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
// The corpus in a temp dir, `@DIR@` replaced by its path; its home/ is $HOME for both sides.
cpSync(corpus, work, { recursive: true });
for (const f of readdirSync(work, { recursive: true }) as string[]) {
  const p = path.join(work, f);
  if (!/\.(conf|cfg)$/.test(p) && !p.includes('only-inc2')) continue;
  writeFileSync(p, readFileSync(p, 'utf8').replaceAll('@DIR@', work));
}
const home = path.join(work, 'home');
const me = os.userInfo();
const DEFAULT_IDS = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map(
  (k) => `~/.ssh/${k}`,
);
const configs = readdirSync(work)
  .filter((f) => f.endsWith('.conf'))
  .sort();

function load(file: string): SshConfig {
  const cfg = loadSshConfig(path.join(work, file), fsSshConfigIO(home));
  expect(cfg.problems).toEqual([]);
  return cfg;
}

function queries(file: string): string[] {
  const m = readFileSync(path.join(work, file), 'utf8').match(/^# query: (.*)$/m);
  if (!m) throw new Error(`${file}: no "# query:" line`);
  return m[1].split(/\s+/).filter(Boolean);
}

/** ssh expands `~` in UserKnownHostsFile with the passwd home, not $HOME. */
const khExpand = (p: string) => (p.startsWith('~/') ? path.join(me.homedir, p.slice(2)) : p);

describe.skipIf(!SSH)('ssh_config resolution agrees with `ssh -G`', () => {
  it('the corpus has the cases it claims', () => {
    expect(configs).toEqual([
      'chains.conf',
      'firstwins.conf',
      'identity.conf',
      'include.conf',
      'match.conf',
      'patterns.conf',
    ]);
  });

  for (const file of configs) {
    it(`${file}: hostname, port, user, identityfile, userknownhostsfile, proxyjump, identitiesonly`, () => {
      const cfg = load(file);
      for (const host of queries(file)) {
        const g = sshG(path.join(work, file), host, { home });
        const r = resolveSshHost(cfg, host, { localUser: me.username });
        expect(r.problems, host).toEqual([]);
        const ours = {
          hostname: r.hostname?.value ?? host.toLowerCase(),
          port: String(r.port?.value ?? 22),
          user: r.user?.value ?? me.username,
          identityfile: r.identityFiles.length ? r.identityFiles.map((f) => f.value) : DEFAULT_IDS,
          userknownhostsfile: r.userKnownHostsFiles
            ? khExpand(r.userKnownHostsFiles.value[0])
            : khExpand('~/.ssh/known_hosts'),
          proxyjump:
            r.proxyJump?.value === 'none'
              ? undefined
              : r.proxyJump?.value
                  .split(',')
                  .map((h) => h.replace(/^ssh:\/\//, ''))
                  .join(','),
          proxycommand: r.proxyCommand?.value,
          identitiesonly: r.identitiesOnly?.value ? 'yes' : 'no',
        };
        const theirs = {
          hostname: g.get('hostname')?.[0],
          port: g.get('port')?.[0],
          user: g.get('user')?.[0],
          identityfile: g.get('identityfile'),
          userknownhostsfile: g.get('userknownhostsfile')?.[0]?.split(' ')[0],
          proxyjump: g.get('proxyjump')?.[0],
          proxycommand: g.get('proxycommand')?.[0],
          identitiesonly: g.get('identitiesonly')?.[0],
        };
        expect(ours, `${file}: ${host}`).toEqual(theirs);
      }
    });
  }

  it('chains.conf: every hop of every jump chain is dialled as ssh dials it', () => {
    const cfg = load('chains.conf');
    const ctx = { config: cfg, home, localUser: me.username, localHost: os.hostname(), cwd: work, exists: () => false };
    /** What OpenSSH dials, hop by hop: `ssh -J a,b -W t c` → chain(a) ++ [a, b, c]; only a's own ProxyJump counts. */
    const oracle = (host: string, user?: string, port?: number, depth = 0): string[] => {
      const g = sshG(path.join(work, 'chains.conf'), host, { home, user, port });
      const pj = g.get('proxyjump')?.[0];
      if (!pj || depth > 5) return [];
      const hops = pj.split(',').map((h) => {
        const m = h.replace(/^ssh:\/\//, '').match(/^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/)!;
        return { user: m[1], host: m[2], port: m[3] ? Number(m[3]) : undefined };
      });
      const dial = (h: (typeof hops)[0]) => {
        const hg = sshG(path.join(work, 'chains.conf'), h.host, { home, user: h.user, port: h.port });
        return `${hg.get('user')![0]}@${hg.get('hostname')![0]}:${hg.get('port')![0]}`;
      };
      return [...oracle(hops[0].host, hops[0].user, hops[0].port, depth + 1), ...hops.map(dial)];
    };
    for (const host of queries('chains.conf')) {
      const ours = resolveNodeSsh(ctx, { host });
      expect(ours.problems).toEqual([]);
      expect(
        (ours.jump ?? []).map((j) => `${j.user}@${j.host}:${j.port}`),
        host,
      ).toEqual(oracle(host));
    }
  });
});

describe('ssh_config details ssh -G does not show', () => {
  it('matchPattern is OpenSSH match_pattern: * and ?, literal otherwise, case as given', () => {
    expect(matchPattern('web1', 'web?')).toBe(true);
    expect(matchPattern('web12', 'web?')).toBe(false);
    expect(matchPattern('a.b', 'a?b')).toBe(true);
    expect(matchPattern('axb', 'a.b')).toBe(false);
    expect(matchPattern('web1', 'WEB1')).toBe(false);
    expect(matchPattern('', '*')).toBe(true);
  });

  it('refuses Match criteria it cannot evaluate, naming file and line', () => {
    const f = path.join(work, 'exec.conf.txt');
    writeFileSync(f, 'Host a\n  User x\n\nMatch exec "true"\n  User y\n');
    const cfg = loadSshConfig(f, fsSshConfigIO(home));
    expect(cfg.problems).toEqual([{ file: f, line: 4, message: expect.stringMatching(/Match exec is not supported/) }]);
  });

  it('ProxyCommand: tokens expanded, the first of ProxyCommand / ProxyJump wins, a written jump overrides it', () => {
    const f = path.join(work, 'pc.conf.txt');
    writeFileSync(
      f,
      '# c\nHost pc\n  HostName 10.0.0.9\n  ProxyCommand nc %h %p %r %n %%\nHost * !b\n  ProxyJump b\n  ProxyCommand never\n  User u\nHost b\n  ProxyCommand x %q\n',
    );
    const cfg = loadSshConfig(f, fsSshConfigIO(home));
    const ctx = { config: cfg, home, localUser: 'me', localHost: 'h', cwd: work, exists: () => false };
    const r = resolveNodeSsh(ctx, { host: 'pc', port: 2200 });
    expect(r).toMatchObject({
      problems: [],
      proxyCommand: 'nc 10.0.0.9 2200 u pc %',
      jump: undefined,
      sources: { jump: { file: f, line: 4 } },
    });
    expect(resolveNodeSsh(ctx, { host: 'pc', jump: [] }).proxyCommand).toBeUndefined();
    const other = resolveNodeSsh(ctx, { host: 'other' });
    expect(other.proxyCommand).toBeUndefined();
    // b's own ProxyCommand has an unknown token: named with file:line
    expect(other.problems).toEqual([
      { file: f, line: 10, message: expect.stringMatching(/ProxyCommand: unknown token %q/) },
    ]);
  });

  it('UserKnownHostsFile none is refused unless the inventory names a known_hosts file', () => {
    const f = path.join(work, 'khnone.conf.txt');
    writeFileSync(f, 'Host *\n  UserKnownHostsFile none\n');
    const ctx = {
      config: loadSshConfig(f, fsSshConfigIO(home)),
      home,
      localUser: 'me',
      localHost: 'h',
      cwd: work,
      exists: () => false,
    };
    expect(resolveNodeSsh(ctx, { host: 'n' }).problems).toEqual([
      { file: f, line: 2, message: expect.stringMatching(/host keys are always verified/) },
    ]);
    expect(resolveNodeSsh(ctx, { host: 'n', knownHosts: '/kh' }).problems).toEqual([]);
  });

  it('the inventory wins over the config; IdentityFile tokens and ~ expand; missing keys are skipped', () => {
    const f = path.join(work, 'ov.conf.txt');
    writeFileSync(
      f,
      'Host n\n  HostName 10.9.9.9\n  User cu\n  Port 2222\n  IdentityFile ~/.ssh/%r_%h\n  IdentityFile ~/.ssh/missing\n  UserKnownHostsFile ~/.ssh/kh_%h other\n',
    );
    const cfg = loadSshConfig(f, fsSshConfigIO(home));
    const present = path.join(home, '.ssh', 'cu_10.9.9.9');
    const ctx = { config: cfg, home, localUser: 'me', localHost: 'h', cwd: work, exists: (p: string) => p === present };
    const r = resolveNodeSsh(ctx, { host: 'n' });
    expect(r).toMatchObject({
      host: '10.9.9.9',
      port: 2222,
      user: 'cu',
      identityFiles: [present],
      knownHosts: path.join(home, '.ssh', 'kh_10.9.9.9'),
    });
    expect(r.sources).toMatchObject({
      host: { file: f, line: 2 },
      port: { file: f, line: 4 },
      user: { file: f, line: 3 },
      identityFile: { file: f, line: 5 },
    });
    const w = resolveNodeSsh(ctx, { host: 'n', port: 22, user: 'inv', identityFile: null, knownHosts: '/kh' });
    expect(w).toMatchObject({
      host: '10.9.9.9',
      port: 22,
      user: 'inv',
      identityFiles: undefined,
      knownHosts: undefined,
    });
    expect(w.sources).toEqual({ host: { file: f, line: 2 } });
  });
});
