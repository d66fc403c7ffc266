// Layout discovery (facts A3) and the handler's workspace (A4): the exact texts of the facts file.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { layoutProbe, workspaceProbe } from '../../../src/emqx/commands.js';
import {
  parseBeamDataDir,
  parseEmqxVars,
  parseLayoutProbe,
  parseRelForm,
  parseRootDir,
  parseWorkspaceProbe,
  resolveLayout,
} from '../../../src/emqx/parse/layout.js';

// rel/emqx_vars@416bc5c:1-26 with the overlay values (facts A3), tgz then pkg.
const TGZ_VARS = `REL_VSN="5.10.4"
ERTS_VSN="15.2.7.2"
ERL_OPTS=""
RUNNER_BIN_DIR="$RUNNER_ROOT_DIR/bin"
RUNNER_LIB_DIR="$RUNNER_ROOT_DIR/lib"
IS_ELIXIR="\${IS_ELIXIR:-no}"
export EMQX_LOG_DIR="\${EMQX_LOG_DIR:-\${RUNNER_LOG_DIR:-$BASE_RUNNER_ROOT_DIR/log}}"
EMQX_ETC_DIR="$BASE_RUNNER_ROOT_DIR/etc"
RUNNER_USER=""
SCHEMA_MOD="emqx_enterprise_schema"
IS_ENTERPRISE="yes"
EMQX_DEFAULT_ERLANG_COOKIE='emqxsecretcookie'
REL_NAME="emqx"
export EMQX_DESCRIPTION='EMQX Enterprise'
`;
const PKG_VARS = TGZ_VARS.replace('RUNNER_BIN_DIR="$RUNNER_ROOT_DIR/bin"', 'RUNNER_BIN_DIR="/usr/bin"')
  .replace('$BASE_RUNNER_ROOT_DIR/log}}', '/var/log/emqx}}')
  .replace('EMQX_ETC_DIR="$BASE_RUNNER_ROOT_DIR/etc"', 'EMQX_ETC_DIR="/etc/emqx"')
  .replace('RUNNER_USER=""', 'RUNNER_USER="emqx"');

const PS_PKG =
  'emqx      4242     1  9 10:00 ?        00:01:02 /usr/lib/emqx/erts-15.2.7.2/bin/beam.smp -- -root /usr/lib/emqx ' +
  '-bindir /usr/lib/emqx/erts-15.2.7.2/bin -progname usr/lib/emqx/bin/emqx -- -home /var/lib/emqx -- -boot ' +
  '/usr/lib/emqx/releases/5.10.4/start -mode embedded -boot_var ERTS_LIB_DIR /usr/lib/emqx/lib -mnesia dir ' +
  '"/var/lib/emqx/mnesia/emqx@10.0.0.1" -config /var/lib/emqx/configs/app.2026.12.01.10.00.00.config ' +
  '-args_file /var/lib/emqx/configs/vm.2026.12.01.10.00.00.args -name emqx@10.0.0.1 -emqx_data_dir /var/lib/emqx';

describe('parseEmqxVars', () => {
  it('tgz: etc and log under the root, RUNNER_USER empty', () => {
    expect(parseEmqxVars(TGZ_VARS, '/opt/emqx')).toEqual({
      relVsn: '5.10.4',
      etcDir: '/opt/emqx/etc',
      logDir: '/opt/emqx/log',
      runnerUser: '',
    });
  });
  it('deb/rpm: /etc/emqx, /var/log/emqx, runs as emqx', () => {
    expect(parseEmqxVars(PKG_VARS, '/usr/lib/emqx')).toEqual({
      relVsn: '5.10.4',
      etcDir: '/etc/emqx',
      logDir: '/var/log/emqx',
      runnerUser: 'emqx',
    });
  });
  it('no lines → nulls, not guesses', () => {
    expect(parseEmqxVars('IS_ENTERPRISE="yes"\n', '/r')).toEqual({
      relVsn: null,
      etcDir: null,
      logDir: null,
      runnerUser: null,
    });
  });
});

describe('small parsers', () => {
  it.each([
    ['relform: "tgz"\n', 'tgz'],
    ['relform: "deb"\n', 'deb'],
    ['os: "el8"\nrelform: "rpm"\n', 'rpm'],
    ['relform: "zip"\n', null],
    ['', null],
  ])('parseRelForm(%j) = %s', (t, want) => expect(parseRelForm(t)).toBe(want));

  it.each([
    ['/usr/lib/emqx\n', 0, '/usr/lib/emqx'],
    ['/opt/emqx/\n', 0, '/opt/emqx'],
    ['', 0, null],
    ['/x\n', 1, null],
    ['relative\n', 0, null],
    ['bash: /usr/lib/emqx/relup//bin/emqx: No such file or directory\n', 127, null],
  ])('parseRootDir(%j, %s) = %s', (out, rc, want) => expect(parseRootDir(out, rc)).toBe(want));

  it('parseBeamDataDir picks this node among several beams, and ignores grep', () => {
    const other = PS_PKG.replace(/emqx@10\.0\.0\.1/g, 'emqx@10.0.0.2').replace(
      /-emqx_data_dir \/var\/lib\/emqx$/,
      '-emqx_data_dir /srv/n2',
    );
    const grep = 'ops 99 98 0 10:00 pts/0 00:00:00 grep -e  -emqx_data_dir ';
    expect(parseBeamDataDir([grep, other, PS_PKG].join('\n'), 'emqx@10.0.0.1', '/usr/lib/emqx')).toBe('/var/lib/emqx');
    expect(parseBeamDataDir([other].join('\n'), 'emqx@10.0.0.1', '/srv/x')).toBeNull(); // another install's beam is not ours
    expect(parseBeamDataDir(other.replace(/ -name \S+/, ''), 'emqx@10.0.0.1', '/usr/lib/emqx')).toBe('/srv/n2'); // by root
    expect(parseBeamDataDir([other, PS_PKG].join('\n'), 'emqx@10.9.9.9', '/nowhere')).toBeNull();
    expect(parseBeamDataDir('', 'emqx@10.0.0.1', '/usr/lib/emqx')).toBeNull();
  });

  it('two installs on one host with the same node name: the one under rootDir, never the other', () => {
    // Seen with two sandboxes on one machine: both beams are emqx@10.0.0.1, from different roots.
    const twin = PS_PKG.replace(/\/usr\/lib\/emqx/g, '/opt/other/emqx').replace(
      /-emqx_data_dir \/var\/lib\/emqx$/,
      '-emqx_data_dir /opt/other/data',
    );
    expect(parseBeamDataDir([twin, PS_PKG].join('\n'), 'emqx@10.0.0.1', '/usr/lib/emqx')).toBe('/var/lib/emqx');
    expect(parseBeamDataDir([PS_PKG, twin].join('\n'), 'emqx@10.0.0.1', '/opt/other/emqx')).toBe('/opt/other/data');
    // no beam under rootDir (a root reached through a symlink, say): the only beam of that name
    expect(parseBeamDataDir(twin, 'emqx@10.0.0.1', '/usr/lib/emqx')).toBe('/opt/other/data');
    // two of that name and none under rootDir: ambiguous, never a guess
    expect(
      parseBeamDataDir(
        [twin, twin.replace(/\/opt\/other/g, '/opt/third')].join('\n'),
        'emqx@10.0.0.1',
        '/usr/lib/emqx',
      ),
    ).toBeNull();
  });
});

describe('resolveLayout', () => {
  const probe = (o: Partial<ReturnType<typeof parseLayoutProbe>>) => ({
    rootDir: null,
    vars: null,
    relupVars: new Map(),
    buildInfo: null,
    ps: null,
    ...o,
  });

  it('package install: the process names the data dir, emqx_vars etc and log', () => {
    const l = resolveLayout(
      'emqx@10.0.0.1',
      { rootDir: '/usr/lib/emqx' },
      probe({
        vars: PKG_VARS,
        buildInfo: 'relform: "deb"\n',
        ps: PS_PKG,
        rootDir: { stdout: '/usr/lib/emqx\n', exitCode: 0 },
      }),
    );
    expect(l).toEqual({
      rootDir: '/usr/lib/emqx',
      reportedRootDir: null,
      relform: 'deb',
      runnerUser: 'emqx',
      processUser: 'emqx',
      etcDir: { path: '/etc/emqx', source: 'emqx_vars' },
      dataDir: { path: '/var/lib/emqx', source: 'process' },
      logDir: { path: '/var/log/emqx', source: 'emqx_vars' },
    });
  });

  it('package install, node down: the data dir falls back to the package default', () => {
    const l = resolveLayout(
      'emqx@10.0.0.1',
      { rootDir: '/usr/lib/emqx' },
      probe({ vars: PKG_VARS, buildInfo: 'relform: "rpm"\n' }),
    );
    expect(l.dataDir).toEqual({ path: '/var/lib/emqx', source: 'relform default' });
  });

  it('tarball install: everything under the root; the inventory wins over the node', () => {
    const l = resolveLayout(
      'emqx@h',
      { rootDir: '/opt/emqx', logDir: '/mnt/logs' },
      probe({ vars: TGZ_VARS, buildInfo: 'relform: "tgz"\n', rootDir: { stdout: '/opt/emqx-5.10.4\n', exitCode: 0 } }),
    );
    expect(l.etcDir).toEqual({ path: '/opt/emqx/etc', source: 'emqx_vars' });
    expect(l.dataDir).toEqual({ path: '/opt/emqx/data', source: 'tarball default' });
    expect(l.logDir).toEqual({ path: '/mnt/logs', source: 'inventory' });
    expect(l.reportedRootDir).toBe('/opt/emqx-5.10.4');
    expect(l.runnerUser).toBe('');
  });
});

describe('the probes, run by a real sh against a fake install', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'layout-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const root = path.join(tmp, 'usr lib', 'emqx'); // a space: quoting must hold
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  mkdirSync(path.join(root, 'releases', '5.10.4'), { recursive: true });
  mkdirSync(path.join(root, 'relup', '5.10.5', 'releases'), { recursive: true });
  writeFileSync(
    path.join(root, 'bin', 'emqx'),
    `#!/bin/sh\n[ "$1" = root_dir ] && { echo "${root}"; exit 0; }\nexit 9\n`,
  );
  chmodSync(path.join(root, 'bin', 'emqx'), 0o755);
  writeFileSync(path.join(root, 'releases', 'emqx_vars'), PKG_VARS.trimEnd()); // no final newline
  writeFileSync(path.join(root, 'releases', '5.10.4', 'BUILD_INFO'), 'relform: "deb"');
  writeFileSync(path.join(root, 'relup', '5.10.5', 'releases', 'emqx_vars'), TGZ_VARS.replace('5.10.4', '5.10.5'));

  it('layoutProbe → parseLayoutProbe', () => {
    const out = execFileSync('sh', ['-c', layoutProbe(root)], { encoding: 'utf8' });
    const p = parseLayoutProbe(out);
    expect(parseRootDir(p.rootDir!.stdout, p.rootDir!.exitCode)).toBe(root);
    expect(parseEmqxVars(p.vars!, root).etcDir).toBe('/etc/emqx');
    expect([...p.relupVars.keys()]).toEqual(['5.10.5']);
    expect(parseEmqxVars(p.relupVars.get('5.10.5')!, root)).toMatchObject({
      relVsn: '5.10.5',
      etcDir: `${root}/etc`,
      runnerUser: '',
    });
    expect(parseRelForm(p.buildInfo!)).toBe('deb');
  });

  it('workspaceProbe → parseWorkspaceProbe (no beam here: /tmp; a cache dir counts)', () => {
    const sha = 'ab'.repeat(32);
    const out = execFileSync('sh', ['-c', workspaceProbe(root, 'emqx@nowhere', sha)], { encoding: 'utf8' });
    const w = parseWorkspaceProbe(out);
    expect(w.tmpDir).toBe('/tmp');
    expect(w.tmpSource).toBe('default');
    expect(w.tmpFreeBytes).toBeGreaterThan(0);
    expect(w.relupFreeBytes).toBeGreaterThan(0);
    expect(w.memAvailableBytes).toBeGreaterThan(0);
    expect(w.extractionCached).toBe(false);
    const cache = path.join('/tmp', `emqx_relup_${sha.slice(0, 16)}`, 'releases');
    mkdirSync(cache, { recursive: true });
    try {
      writeFileSync(path.join(cache, 'emqx_vars'), 'REL_VSN="5.10.5"\n');
      expect(
        parseWorkspaceProbe(execFileSync('sh', ['-c', workspaceProbe(root, 'emqx@nowhere', sha)], { encoding: 'utf8' }))
          .extractionCached,
      ).toBe(true);
    } finally {
      rmSync(path.dirname(cache), { recursive: true, force: true });
    }
  });
});
