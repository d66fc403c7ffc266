// The backup command, run by a real sh: the package layout archives the real etc, data and log
// dirs (facts A3) and verifies the archive; a missing dir fails instead of a silent partial backup.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupCommand } from '../../../src/rollout/upgrade/actions.js';
import type { NodeSpec } from '../../../src/inventory/types.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'backup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function spec(root: string, backupDir: string): NodeSpec {
  return {
    name: 'emqx@n1',
    host: 'n1',
    port: 22,
    user: 'ops',
    identityFile: undefined,
    knownHosts: '/k',
    jump: [],
    rootDir: root,
    stagingDir: `${tmp}/stage`,
    backupDir,
  };
}

describe('backupCommand on a package layout', () => {
  const etc = path.join(tmp, 'etc', 'emqx');
  const data = path.join(tmp, 'var', 'lib', 'emqx');
  const log = path.join(tmp, 'var', 'log', 'emqx');
  for (const [d, f] of [
    [etc, 'emqx.conf'],
    [data, 'configs/cluster.hocon'],
    [log, 'emqx.log.1'],
  ] as const) {
    mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
    writeFileSync(path.join(d, f), `${f}\n`);
  }
  const root = path.join(tmp, 'usr', 'lib', 'emqx');
  mkdirSync(root, { recursive: true });

  it('archives the three real dirs, verified, and prints size and path', () => {
    const bdir = path.join(tmp, 'backups');
    const out = execFileSync(
      'sh',
      ['-c', backupCommand(spec(root, bdir), 'b1.tar.gz', { etcDir: etc, dataDir: data, logDir: log })],
      { encoding: 'utf8' },
    );
    const m = /^(\d+) (\/.+)$/m.exec(out);
    expect(m?.[2]).toBe(path.join(bdir, 'b1.tar.gz'));
    const index = execFileSync('tar', ['-tzf', m![2]], { encoding: 'utf8' });
    const rel = (p: string) => p.replace(/^\//, '');
    expect(index).toContain(`${rel(etc)}/emqx.conf`);
    expect(index).toContain(`${rel(data)}/configs/cluster.hocon`);
    expect(index).toContain(`${rel(log)}/emqx.log.1`);
    expect(readdirSync(bdir)).toEqual(['b1.tar.gz']); // no .part, no .idx left
  });

  it('refuses when a dir is missing, leaving no archive', () => {
    const bdir = path.join(tmp, 'backups2');
    const r = spawnSync(
      'sh',
      [
        '-c',
        backupCommand(spec(root, bdir), 'b2.tar.gz', { etcDir: etc, dataDir: path.join(tmp, 'nope'), logDir: log }),
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`missing ${path.join(tmp, 'nope')}: not backed up`);
    expect(readdirSync(bdir)).toEqual([]);
  });

  it('a tarball layout keeps the old form (relative to rootDir)', () => {
    const r = '/opt/emqx';
    expect(backupCommand(spec(r, '/b'), 'x', { etcDir: `${r}/etc`, dataDir: `${r}/data`, logDir: `${r}/log` })).toBe(
      backupCommand(spec(r, '/b'), 'x'),
    );
  });
});
