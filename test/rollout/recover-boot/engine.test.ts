import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cannotUndo,
  decideRecoverBoot,
  installProbe,
  newestBackup,
  parseInstallProbe,
  removeMarkerCommand,
} from '../../../src/rollout/recover-boot/engine.js';
import { NAMES, bootedNew, facts, pending, spec, unreachable } from '../day2Fixtures.js';

const sh = promisify(execFile);
const [A] = NAMES;
const disk = { baseVersion: '5.10.4', relupTrees: ['5.10.5'] };

describe('decideRecoverBoot', () => {
  it("pending restart → recover back to the base tree's version", () => {
    expect(decideRecoverBoot(pending(A), disk)).toEqual({ kind: 'recover', target: '5.10.5', back: '5.10.4' });
  });

  it('refuses once the node booted from the new tree (marker kept, status idle)', () => {
    expect(decideRecoverBoot(bootedNew(A), disk)).toMatchObject({ kind: 'refuse', code: 'booted-new' });
  });

  it("refuses when the marker is gone but the node runs a relup tree's version", () => {
    expect(decideRecoverBoot(facts(A, { version: '5.10.5' }), disk)).toMatchObject({
      kind: 'refuse',
      code: 'booted-new',
    });
  });

  it('refuses when there is nothing to recover', () => {
    expect(decideRecoverBoot(facts(A), disk)).toMatchObject({ kind: 'refuse', code: 'nothing-to-recover' });
    expect(decideRecoverBoot(facts(A), { baseVersion: '5.10.4', relupTrees: [] })).toMatchObject({
      code: 'nothing-to-recover',
    });
  });

  it('refuses a node that is down, unreachable or mid-upgrade, and an unreadable base version', () => {
    expect(decideRecoverBoot(facts(A, { version: null }), disk)).toMatchObject({ code: 'not-running' });
    expect(decideRecoverBoot(unreachable(A), disk)).toMatchObject({ code: 'not-running' });
    expect(decideRecoverBoot(facts(A, { relupStatus: { kind: 'in-progress' } }), disk)).toMatchObject({
      code: 'in-progress',
    });
    expect(decideRecoverBoot(pending(A), { baseVersion: null, relupTrees: [] })).toMatchObject({ code: 'unclear' });
  });

  it('a marker that is not a version word never reaches rm -rf', () => {
    expect(decideRecoverBoot(pending(A, '../../etc'), disk)).toMatchObject({ kind: 'refuse', code: 'unclear' });
  });
});

describe('on a real filesystem (sh)', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function install(): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'recover boot '));
    dirs.push(root);
    await mkdir(join(root, 'releases'), { recursive: true });
    await writeFile(
      join(root, 'releases', 'emqx_vars'),
      '## constants from relx template\nREL_VSN="5.10.4"\nERTS_VSN="15.2.7.2"\n',
    );
    await mkdir(join(root, 'relup', '5.10.5', 'bin'), { recursive: true });
    await mkdir(join(root, 'relup', '5.10.6'), { recursive: true });
    await writeFile(join(root, 'relup', 'current'), '5.10.5');
    return root;
  }

  it('installProbe reads the base version and the relup trees', async () => {
    const root = await install();
    const r = await sh('sh', ['-c', installProbe(root)]);
    expect(parseInstallProbe(r.stdout)).toEqual({ baseVersion: '5.10.4', relupTrees: ['5.10.5', '5.10.6'] });
  });

  it('installProbe on an install without relup/ or emqx_vars answers nulls, exit 0', async () => {
    const root = await mkdtemp(join(tmpdir(), 'recover-'));
    dirs.push(root);
    const r = await sh('sh', ['-c', installProbe(root)]);
    expect(parseInstallProbe(r.stdout)).toEqual({ baseVersion: null, relupTrees: [] });
  });

  it('removeMarkerCommand removes the marker, and with --remove-tree only relup/<vsn>/', async () => {
    const root = await install();
    await sh('sh', ['-c', removeMarkerCommand(spec(A, { rootDir: root }), '5.10.5', false)]);
    expect((await readdir(join(root, 'relup'))).sort()).toEqual(['5.10.5', '5.10.6']);
    await writeFile(join(root, 'relup', 'current'), '5.10.5');
    await sh('sh', ['-c', removeMarkerCommand(spec(A, { rootDir: root }), '5.10.5', true)]);
    expect(await readdir(join(root, 'relup'))).toEqual(['5.10.6']);
  });
});

describe('journal backup and what cannot be undone', () => {
  const records = [
    {
      ts: '2026-11-26T21:00:00.000Z',
      kind: 'backup',
      runId: 'r1',
      node: A,
      path: '/var/backups/emqx/old.tar.gz',
      bytes: 1,
    },
    {
      ts: '2026-11-26T21:01:00.000Z',
      kind: 'backup',
      runId: 'r1',
      node: 'emqx@10.0.0.12',
      path: '/var/backups/emqx/b.tar.gz',
      bytes: 1,
    },
    {
      ts: '2026-11-26T22:00:00.000Z',
      kind: 'backup',
      runId: 'r2',
      node: A,
      path: '/var/backups/emqx/new.tar.gz',
      bytes: 1,
    },
    { ts: '2026-11-26T22:00:01.000Z', kind: 'event', runId: 'r2', node: A, path: 'nope' },
  ];

  it("newestBackup picks this node's last backup record", () => {
    expect(newestBackup(records, A)).toEqual({
      path: '/var/backups/emqx/new.tar.gz',
      runId: 'r2',
      ts: '2026-11-26T22:00:00.000Z',
    });
    expect(newestBackup(records, 'emqx@10.0.0.99')).toBeNull();
  });

  it('cannotUndo names live state changes, data written since, and the backup path', () => {
    const text = cannotUndo(
      spec(A),
      { target: '5.10.5', back: '5.10.4' },
      newestBackup(records, A),
      '/ops/.emqx-rollout/prod/journal.ndjson',
    ).join('\n');
    expect(text).toMatch(/live state changes/);
    expect(text).toMatch(/post-upgrade callbacks/);
    expect(text).toMatch(/data written since the hop/);
    expect(text).toContain('/var/backups/emqx/new.tar.gz');
    const none = cannotUndo(spec(A), { target: '5.10.5', back: '5.10.4' }, null, '/ops/j.ndjson').join('\n');
    expect(none).toContain('no backup of emqx@10.0.0.11 is recorded in /ops/j.ndjson');
  });
});
