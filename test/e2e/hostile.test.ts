// Hostile input end to end, on the built CLI and a simulated cluster behind real SSH (issue 12):
// - directory paths carrying spaces, quotes, `;`, `$(…)` and backticks are legal, so the rollout
//   must WORK with them (every command quotes them) and never run them: canary files a successful
//   injection would create are checked on the bastion and on every node (the nodes are local dirs);
// - node names and hosts carrying shell syntax are refused (exit 2) before anything is contacted;
// - tarballs with members escaping the tree are refused (exit 2); non-patch hops block (exit 3).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseMembers, tarGz, writeRelease } from '../release/fixtures.js';
import { REPO, runCli, upgradeArgs } from './support/cli.js';
import { runningVersion, sim, startCluster, type E2eCluster } from './support/cluster.js';

const tag = `${process.pid}-${Date.now()}`;
const CANARY = `/tmp/canary-hostile-${tag}`;
const REL_CANARY = `canary-hostile-rel-${tag}`;
/** A directory name that runs `touch` four ways if any command leaves it unquoted. */
const HOSTILE = `st $(touch ${CANARY}) \`touch ${REL_CANARY}\` ; touch ${CANARY}2 'q" x`;

/** Every place a relative canary could land: the bastion's cwd and home, the cluster dir (nodes). */
async function canariesFound(roots: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const names = new Set([REL_CANARY, CANARY.slice(5), `${CANARY.slice(5)}2`]);
  for (const f of [CANARY, `${CANARY}2`]) if (existsSync(f)) found.push(f);
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > 6) return;
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (names.has(e.name)) found.push(join(d, e.name));
      else if (e.isDirectory() && e.name !== 'node_modules' && e.name !== '.git')
        await walk(join(d, e.name), depth + 1);
    }
  };
  for (const r of roots) await walk(r, 0);
  return found;
}

describe('hostile paths are quoted, not refused: a full upgrade works and runs nothing', () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startCluster('hostile', { nodes: 2 });
    let text = await readFile(c.inventoryPath, 'utf8');
    for (const n of c.nodes) {
      for (const [key, old] of [
        ['stagingDir', n.stagingDir],
        ['backupDir', n.backupDir],
      ] as const) {
        const hostile = join(dirname(old), `${key} ${HOSTILE}`);
        const line = text
          .split('\n')
          .find((l) => l.trimStart().startsWith(`${key}:`) && l.includes(old.split('/').slice(-2).join('/')));
        expect(line, `${key} line for ${n.name}`).toBeDefined();
        text = text.replace(line!, `    ${key}: ${JSON.stringify(hostile)}`);
      }
    }
    await writeFile(c.inventoryPath, text);
    // Templates substitute {rootDir} {node} {host} shell-quoted.
    await c.setGates({
      soakSeconds: 0,
      timeoutSeconds: 60,
      commands: ['test -d {rootDir} && test -n {node} && test -n {host}'],
    });
  });
  afterAll(async () => {
    await c?.destroy();
    await rm(CANARY, { force: true });
    await rm(`${CANARY}2`, { force: true });
  });

  it('exit 0, every node at the target, staged and backed up under the hostile paths, no canary anywhere', async () => {
    const r = await runCli(upgradeArgs(c.inventoryPath, c.tarballPath));
    expect(r.code, r.stderr).toBe(0);
    for (const n of c.nodes) {
      expect(await runningVersion(n)).toBe('5.10.5');
      const staging = join(dirname(n.stagingDir), `stagingDir ${HOSTILE}`);
      expect(existsSync(join(staging, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz'))).toBe(true);
      const backups = await readdir(join(dirname(n.backupDir), `backupDir ${HOSTILE}`));
      expect(backups.some((f) => f.startsWith('emqx-backup-') && f.endsWith('.tar.gz'))).toBe(true);
    }
    expect(await canariesFound([REPO, dirname(c.inventoryPath), process.env.HOME ?? '/root'])).toEqual([]);
  });
});

describe('hostile names, hosts and tarballs are refused (exit 2) or blocked (exit 3)', () => {
  let dir: string;
  let tarball: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'e2e-hostile-'));
    tarball = (await (await sim()).tarball.buildReleaseTarball({ version: '5.10.5', outDir: join(dir, 'release') }))
      .tarballPath;
    await writeFile(join(dir, 'known_hosts'), '');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(CANARY, { force: true });
  });

  it('node names and hosts with $(…), backticks, ; and quotes: exit 2, each named with line:col, no canary', async () => {
    const inv = join(dir, 'names.yaml');
    await writeFile(
      inv,
      [
        'cluster: c1',
        `defaults: {user: emqx, knownHosts: ${join(dir, 'known_hosts')}}`,
        'nodes:',
        `  - {name: "emqx@$(touch ${CANARY})", host: 127.0.0.41}`,
        `  - {name: "emqx\`touch ${CANARY}\`@h", host: 127.0.0.42}`,
        `  - {name: emqx@127.0.0.43, host: "127.0.0.43;touch ${CANARY}"}`,
        `  - {name: emqx@127.0.0.44, host: "127.0.0.44'x"}`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['upgrade', '-i', inv, '--tarball', tarball, '--yes', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/names\.yaml:4:\d+ nodes\[0\]\.name: expected an Erlang node name/);
    expect(r.stderr).toMatch(/names\.yaml:5:\d+ nodes\[1\]\.name: expected an Erlang node name/);
    expect(r.stderr).toMatch(/names\.yaml:6:\d+ nodes\[2\]\.host: expected a host name or IP address/);
    expect(r.stderr).toMatch(/names\.yaml:7:\d+ nodes\[3\]\.host: expected a host name or IP address/);
    expect(r.stdout).toBe('');
    expect(existsSync(CANARY)).toBe(false);
  });

  it('a tarball with a ../ member, an absolute member or a symlink pointing out: exit 2 naming the member', async () => {
    const name = 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz';
    const inv = join(dir, 'ok.yaml');
    await writeFile(
      inv,
      [
        'cluster: c1',
        `defaults: {user: emqx, knownHosts: ${join(dir, 'known_hosts')}}`,
        'nodes:',
        '  - {name: emqx@127.0.0.41, host: 127.0.0.41}',
        '',
      ].join('\n'),
    );
    const cases: Array<[string, Parameters<typeof releaseMembers>[0], string]> = [
      ['dotdot', { extra: [{ path: 'lib/../../evil', body: 'x' }] }, '"lib/../../evil"'],
      ['absolute', { extra: [{ path: '/etc/cron.d/evil', body: 'x' }] }, '"/etc/cron.d/evil"'],
      [
        'symlink',
        { extra: [{ path: 'bin/evil', type: 'SymbolicLink', linkpath: '../../../root/.ssh' }] },
        '"bin/evil -> ../../../root/.ssh"',
      ],
      ['no-vars', { varsLine: 'NOT_REL_VSN=1' }, 'REL_VSN'],
    ];
    for (const [sub, o, named] of cases) {
      const d = join(dir, sub);
      await mkdir(d, { recursive: true });
      const r = writeRelease(d, name, tarGz(releaseMembers(o)));
      const run = await runCli(['plan', '-i', inv, '--tarball', r.tarball], { cwd: dir });
      expect(run.code, `${sub}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(named);
      expect(run.stderr).toContain(r.tarball);
    }
  });
});

describe('non-patch hops block at preflight (exit 3), nothing changed', () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startCluster('hops', { nodes: 1 });
  });
  afterAll(async () => {
    await c?.destroy();
  });

  // Minor, major and downgrade are not patch hops; a pre-release or an untagged -g<sha> build is
  // numerically a patch hop, but no plugin catalog lists it (matched by exact string): unsupported.
  const table: Array<[string, string]> = [
    ['5.11.0', 'hop-not-patch'],
    ['6.0.0', 'hop-not-patch'],
    ['5.10.3', 'hop-not-patch'],
    ['5.10.5-rc.1', 'hop-unsupported'],
    ['5.10.5-g1a2b3c4d', 'hop-unsupported'],
  ];
  it('minor, major, downgrade, pre-release and -g<sha> targets', async () => {
    const m = await sim();
    for (const [version, code] of table) {
      const out = join(dirname(c.inventoryPath), `rel-${version}`);
      const tb = (await m.tarball.buildReleaseTarball({ version, outDir: out })).tarballPath;
      const r = await runCli(['plan', '-i', c.inventoryPath, '--tarball', tb, '--json']);
      expect(r.code, `${version}: ${r.stderr}`).toBe(3);
      const codes = r
        .events()
        .filter((e) => e.type === 'preflight.finding' && e.severity === 'blocker')
        .map((e) => e.code);
      expect(codes, version).toContain(code);
      const f = r.events().find((e) => e.type === 'preflight.finding' && e.code === code)!;
      expect(String(f.message), version).toContain(c.nodes[0].name);
    }
    expect(await runningVersion(c.nodes[0])).toBe('5.10.4');
  });
});
