import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { decideCleanup, removeCommand, stagedFiles } from '../../../src/rollout/cleanup/engine.js';
import { NAMES, bootedNew, facts, inventory, pending, spec, unreachable } from '../day2Fixtures.js';

const sh = promisify(execFile);
const [A, B, C] = NAMES;
const FILE = 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz';

describe('decideCleanup', () => {
  const inv = inventory();

  it('removes only when every node reports the target (hot-upgraded or restarted alike)', () => {
    const d = decideCleanup(inv, [pending(A), bootedNew(B), bootedNew(C)], '5.10.5', FILE);
    expect(d.kind).toBe('remove');
    if (d.kind !== 'remove') return;
    expect(d.nodes.map((n) => n.name)).toEqual([A, B, C]);
    expect(d.nodes[0].paths).toEqual([
      `/opt/upgrade/${FILE}`,
      `/opt/upgrade/${FILE}.part`,
      `/opt/upgrade/${FILE}.sha256`,
      `/opt/upgrade/${FILE}.sha256.part`,
    ]);
  });

  it('refuses naming every node that lags and what it runs', () => {
    const d = decideCleanup(inv, [pending(A), facts(B), unreachable(C)], '5.10.5', FILE);
    expect(d).toEqual({
      kind: 'refuse',
      lagging: [
        { node: B, runs: '5.10.4' },
        { node: C, runs: `unreachable: ${C}: connection refused` },
      ],
    });
    const down = decideCleanup(inv, [pending(A), pending(B), facts(C, { version: null })], '5.10.5', FILE);
    expect(down).toEqual({ kind: 'refuse', lagging: [{ node: C, runs: 'not running' }] });
  });

  it('a node missing from the facts lags too', () => {
    expect(decideCleanup(inv, [pending(A), pending(B)], '5.10.5', FILE).kind).toBe('refuse');
  });
});

describe('removeCommand (run by a real sh)', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('removes what exists, reports each file, leaves everything else, and is idempotent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cleanup test '));
    dirs.push(dir);
    const staging = join(dir, "stag'ing");
    await mkdir(staging);
    for (const f of [FILE, `${FILE}.sha256`, `${FILE}.part`, 'other.tar.gz', '.emqx-rollout.lock'])
      await writeFile(join(staging, f), 'x');
    const paths = stagedFiles(spec(A, { stagingDir: staging }), FILE);
    const r = await sh('sh', ['-c', removeCommand(paths)]);
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      [`removed ${staging}/${FILE}`, `removed ${staging}/${FILE}.part`, `removed ${staging}/${FILE}.sha256`].sort(),
    );
    expect((await readdir(staging)).sort()).toEqual(['.emqx-rollout.lock', 'other.tar.gz']);
    const again = await sh('sh', ['-c', removeCommand(paths)]);
    expect(again.stdout).toBe('');
  });

  it('fails (exit 1, names the file) when a file cannot be removed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cleanup-'));
    dirs.push(dir);
    // a non-empty directory under the tarball's name: `rm -f` cannot remove it
    await mkdir(join(dir, FILE, 'x'), { recursive: true });
    const err = await sh('sh', ['-c', removeCommand(stagedFiles(spec(A, { stagingDir: dir }), FILE))]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain(`still there: ${dir}/${FILE}`);
  });
});
