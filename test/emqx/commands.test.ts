import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as c from '../../src/emqx/commands.js';
import {
  parseDfAvailBytes,
  parseMarker,
  parsePatchesList,
  parseSha256,
  parseWritable,
} from '../../src/emqx/parse/probes.js';

describe('command strings', () => {
  it.each([
    [c.ctlStatus('/opt/emqx'), "'/opt/emqx/bin/emqx' ctl status"],
    [c.clusterStatus('/opt/emqx'), "'/opt/emqx/bin/emqx' ctl cluster status"],
    [c.clusterStatus('/opt/emqx', { json: true }), "'/opt/emqx/bin/emqx' ctl cluster status --json"],
    [c.broker('/opt/emqx/'), "'/opt/emqx/bin/emqx' ctl broker"],
    [c.brokerStats('/opt/emqx'), "'/opt/emqx/bin/emqx' ctl broker stats"],
    [c.pluginsList('/opt/emqx'), "'/opt/emqx/bin/emqx' ctl plugins list"],
    [c.relupStatus('/opt/emqx'), "'/opt/emqx/bin/emqx' ctl relup status"],
    [c.relupLogs('/opt/emqx'), "'/opt/emqx/bin/emqx' ctl relup logs"],
    [c.relupSupportedPaths('/opt/emqx'), "'/opt/emqx/bin/emqx' ctl relup list-supported-paths"],
    [c.emqxCmd('/opt/emqx', 'ctl', 'relup', 'status'), "'/opt/emqx/bin/emqx' ctl relup status"],
    [
      c.emqxCmd("/opt/it's here", 'eval', 'emqx_release:version().'),
      "'/opt/it'\\''s here/bin/emqx' eval 'emqx_release:version().'",
    ],
    [
      c.relupUpgrade('/opt/emqx', '/opt/upgrade/a b.tar.gz'),
      "'/opt/emqx/bin/emqx' ctl relup upgrade '/opt/upgrade/a b.tar.gz'",
    ],
    [
      c.relupUpgrade('/opt/emqx', '/opt/upgrade/x.tar.gz', { force: true }),
      "'/opt/emqx/bin/emqx' ctl relup upgrade '/opt/upgrade/x.tar.gz' --force",
    ],
    [c.dfAvail('/opt/upgrade'), "df -Pk '/opt/upgrade'"],
    [c.sha256('/opt/upgrade/$(reboot).tar.gz'), "sha256sum '/opt/upgrade/$(reboot).tar.gz'"],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('refuses relative paths (EMQX would resolve them against <RootDir>)', () => {
    expect(() => c.relupUpgrade('/opt/emqx', 'upgrade/x.tar.gz')).toThrow(/absolute path/);
    expect(() => c.ctlStatus('opt/emqx')).toThrow(/absolute path/);
  });
});

// The probes are shell snippets: run them in a real /bin/sh against a temp tree.
describe('probe commands run in sh', () => {
  const root = mkdtempSync(join(tmpdir(), "emqx probe '$x "));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function sh(cmd: string): { stdout: string; stderr: string; code: number } {
    try {
      return { stdout: execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', stdio: 'pipe' }), stderr: '', code: 0 };
    } catch (e) {
      const err = e as { stdout: string; stderr: string; status: number };
      return { stdout: err.stdout, stderr: err.stderr, code: err.status };
    }
  }

  it('marker: absent, then present', () => {
    mkdirSync(join(root, 'relup'), { recursive: true });
    let r = sh(c.markerRead(root));
    expect(parseMarker(r.stdout, r.code, r.stderr)).toEqual({ kind: 'marker', version: null });
    writeFileSync(join(root, 'relup', 'current'), '5.10.5'); // no newline, like the plugin
    r = sh(c.markerRead(root));
    expect(parseMarker(r.stdout, r.code, r.stderr)).toEqual({ kind: 'marker', version: '5.10.5' });
  });

  it('patches: missing dir, empty, with beams', () => {
    let r = sh(c.patchesList(root));
    expect(parsePatchesList(r.stdout, r.code)).toEqual({ kind: 'patches', files: [] });
    mkdirSync(join(root, 'data', 'patches'), { recursive: true });
    writeFileSync(join(root, 'data', 'patches', 'emqx_foo.beam'), '');
    writeFileSync(join(root, 'data', 'patches', 'README'), '');
    r = sh(c.patchesList(root));
    expect(parsePatchesList(r.stdout, r.code)).toEqual({ kind: 'patches', files: ['emqx_foo.beam'] });
  });

  it('relup writable: yes, missing dir, read-only dir (not writable even for root: the owner bit counts)', () => {
    const r = sh(c.relupWritable(root));
    expect(parseWritable(r.code)).toEqual({ kind: 'writable', writable: true });
    const gone = sh(c.relupWritable(join(root, 'nope')));
    expect(parseWritable(gone.code)).toEqual({ kind: 'writable', writable: false });
    chmodSync(join(root, 'relup'), 0o555);
    try {
      const ro = sh(c.relupWritable(root));
      expect(parseWritable(ro.code)).toEqual({ kind: 'writable', writable: false });
    } finally {
      chmodSync(join(root, 'relup'), 0o755);
    }
  });

  it('df and sha256', () => {
    const d = sh(c.dfAvail(root));
    const df = parseDfAvailBytes(d.stdout, d.code, d.stderr);
    expect(df.kind).toBe('df');
    if (df.kind === 'df') expect(df.availBytes).toBeGreaterThan(0);
    writeFileSync(join(root, 'f'), 'abc');
    const s = sh(c.sha256(join(root, 'f')));
    expect(parseSha256(s.stdout, s.code)).toEqual({
      kind: 'sha256',
      hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });
});
