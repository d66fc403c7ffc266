// Bad input stops `upgrade` with exit 2 before any connection: a clear message, no stack trace.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { sim } from './support/cluster.js';

const STACK = /\n\s+at .+:\d+:\d+\)?$/m;
let dir: string;
let tarball: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-input-'));
  tarball = (await (await sim()).tarball.buildReleaseTarball({ version: '5.10.5', outDir: join(dir, 'release') }))
    .tarballPath;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('upgrade: bad input → exit 2', () => {
  it('a bad inventory: every problem with file:line:col, no stack trace, nothing sent', async () => {
    const inv = join(dir, 'inv.yaml');
    await writeFile(
      inv,
      [
        'cluster: prod',
        'defaults:',
        '  user: emqx',
        `  knownHosts: ${join(dir, 'kh')}`,
        'nodes:',
        '  - name: emqx@10.0.0.11',
        '    hostt: 10.0.0.11',
        'gates:',
        '  soakSeconds: -1',
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'kh'), '');
    const r = await runCli(['upgrade', '-i', inv, '--tarball', tarball, '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/inv\.yaml:6:5 nodes\[0\]\.host: is required/);
    expect(r.stderr).toMatch(/inv\.yaml:7:5 nodes\[0\]\.hostt: unknown key "hostt"; did you mean `host`\?/);
    expect(r.stderr).toMatch(/inv\.yaml:9:16 gates\.soakSeconds: expected a number of seconds ≥ 0, found -1/);
    expect(r.stderr).toContain('nothing was sent to any node');
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });

  it('a missing tarball names the path and what to pass', async () => {
    const r = await runCli(
      ['upgrade', '-i', join(dir, 'inv.yaml'), '--tarball', join(dir, 'nope.tar.gz'), '--yes', '--json'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`release tarball ${join(dir, 'nope.tar.gz')} not found`);
    expect(r.stderr).toContain('--tarball');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('no --tarball at all is bad input too', async () => {
    const r = await runCli(['upgrade', '-i', join(dir, 'inv.yaml'), '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/tarball/);
    expect(r.stderr).not.toMatch(STACK);
  });
});
