// Every input problem in one go (issue 12): flags, inventory (file:line:col), tarball, sidecar, keys
// and the state directory are validated before anything is contacted, and reported together with
// one exit 2. "Nothing is contacted" is proven by TCP listeners on the inventory's addresses that
// count every connection attempt.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { sim } from './support/cluster.js';

const STACK = /\n\s+at .+:\d+:\d+\)?$/m;
let dir: string;
let tarball: string;
let servers: Server[] = [];
let accepted = 0;
const ports: number[] = [];

async function listen(host: string): Promise<number> {
  const s = createServer((sock) => {
    accepted++;
    sock.destroy();
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, host, r));
  return (s.address() as { port: number }).port;
}

/** A well-formed inventory whose two nodes are the counting listeners. */
function goodInventory(extra: string[] = []): string {
  return [
    'cluster: inputs',
    'defaults:',
    '  user: emqx',
    `  knownHosts: ${join(dir, 'known_hosts')}`,
    'nodes:',
    `  - {name: emqx@127.0.0.31, host: 127.0.0.31, port: ${ports[0]}}`,
    `  - {name: emqx@127.0.0.32, host: 127.0.0.32, port: ${ports[1]}}`,
    ...extra,
    '',
  ].join('\n');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-inputs-'));
  tarball = (await (await sim()).tarball.buildReleaseTarball({ version: '5.10.5', outDir: join(dir, 'release') }))
    .tarballPath;
  await writeFile(join(dir, 'known_hosts'), '');
  ports.push(await listen('127.0.0.31'), await listen('127.0.0.32'));
});
afterAll(async () => {
  for (const s of servers) s.close();
  servers = [];
  await rm(dir, { recursive: true, force: true });
});

describe('all input problems at once (exit 2, nothing contacted)', () => {
  it('plan -i broken.yaml --tarball missing.tar.gz: the YAML error with line:col AND the missing tarball', async () => {
    const inv = join(dir, 'broken.yaml');
    await writeFile(
      inv,
      [
        'cluster: c1',
        'defaults:',
        '  user: emqx',
        'nodes:',
        '  - name: emqx@10.0.0.11',
        '    host: "10.0.0.11',
        '  - name: emqx@10.0.0.12',
        '',
      ].join('\n'),
    );
    const r = await runCli(['plan', '-i', inv, '--tarball', join(dir, 'missing.tar.gz')], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('2 input problems; nothing was contacted');
    expect(r.stderr).toMatch(/\[1\] inventory broken\.yaml is invalid/);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+ YAML syntax error/);
    expect(r.stderr).toMatch(/\[2\] release tarball .*missing\.tar\.gz not found/);
    expect(r.stderr).toContain('→ pass --tarball');
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });

  it('upgrade: flags, inventory, sidecar, window and the missing --yes, all listed, each with its fix', async () => {
    const inv = join(dir, 'typo.yaml');
    await writeFile(inv, goodInventory(['gates:', '  soakSecs: 3', '  minConnectionsJudged: 0']));
    const noSidecar = join(dir, 'nosidecar');
    await mkdir(noSidecar, { recursive: true });
    const tb = join(noSidecar, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz');
    await copyFile(tarball, tb);
    const before = accepted;
    const r = await runCli(
      ['upgrade', '-i', inv, '--tarball', tb, '--pause-after', 'x', '--window', 'someday', '--json'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('5 input problems; nothing was contacted');
    expect(r.stderr).toContain('--pause-after must be an integer ≥ 1, found "x"');
    expect(r.stderr).toContain('refusing to upgrade the cluster without confirmation');
    expect(r.stderr).toMatch(/typo\.yaml:9:3 gates\.soakSecs: unknown key "soakSecs"; expected one of `soakSeconds`/);
    expect(r.stderr).toMatch(/typo\.yaml:10:25 gates\.minConnectionsJudged: expected an integer 1–1000000000, found 0/);
    expect(r.stderr).toContain(`sha256 sidecar ${tb}.sha256 not found`);
    expect(r.stderr).toContain('--window: cannot read "someday"');
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe(''); // no events: nothing started
    expect(accepted - before).toBe(0);
  });

  it('a good inventory with an encrypted key and no passphrase, an unwritable --state-dir and a bad tarball: all three', async () => {
    const key = join(dir, 'id_enc');
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pw-never-shown-1', '-f', key]);
    const inv = join(dir, 'enc.yaml');
    await writeFile(inv, goodInventory().replace('  user: emqx\n', `  user: emqx\n  identityFile: ${key}\n`));
    const notADir = join(dir, 'state-is-a-file');
    await writeFile(notADir, 'x');
    const bogus = join(dir, 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz');
    await writeFile(bogus, 'not a tarball');
    await writeFile(`${bogus}.sha256`, 'f'.repeat(64));
    const before = accepted;
    const r = await runCli(['plan', '-i', inv, '--tarball', bogus, '--state-dir', join(notADir, 'sub')], {
      cwd: dir,
      env: { EMQX_ROLLOUT_KEY_PASSPHRASE: undefined },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('3 input problems; nothing was contacted');
    expect(r.stderr).toContain('does not match its sha256 sidecar');
    expect(r.stderr).toMatch(
      /state directory .*state-is-a-file\/sub cannot be created: .*state-is-a-file is not a directory/,
    );
    expect(r.stderr).toMatch(/encrypted key needs a passphrase: set EMQX_ROLLOUT_KEY_PASSPHRASE/);
    expect(r.stderr).not.toContain('pw-never-shown-1');
    expect(accepted - before).toBe(0);
  });

  it('recover-boot: an unknown --node is reported with the other problems', async () => {
    const inv = join(dir, 'good.yaml');
    await writeFile(inv, goodInventory());
    const sd = join(dir, 'ro-state');
    await mkdir(sd);
    await chmod(sd, 0o500);
    const before = accepted;
    const r = await runCli(['recover-boot', '-i', inv, '--node', 'emqx@nowhere', '--state-dir', join(sd, 'x')], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('refusing to remove the boot marker');
    expect(r.stderr).toContain('emqx@nowhere');
    // root ignores mode bits: the state dir is only a problem for an ordinary user
    expect(r.stderr).toContain(process.getuid?.() === 0 ? '2 input problems' : '3 input problems');
    expect(accepted - before).toBe(0);
  });

  it('one problem alone is reported as before, without the [n] list', async () => {
    const inv = join(dir, 'good.yaml');
    await writeFile(inv, goodInventory());
    const r = await runCli(['plan', '-i', inv, '--tarball', join(dir, 'nope.tar.gz')], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^emqx-rollout: error: release tarball .*nope\.tar\.gz not found/);
    expect(r.stderr).not.toContain('[1]');
  });
});
