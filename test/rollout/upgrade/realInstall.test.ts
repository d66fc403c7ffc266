// Real-install judgements (pure): privilege findings, disk/memory where the handler writes, the
// restart-safety comparison of boot locations (facts A3, A4).
import { describe, expect, it } from 'vitest';
import { parseEmqxVars, type NodeLayout, type Workspace } from '../../../src/emqx/parse/layout.js';
import type { TarballInfo } from '../../../src/rollout/core/types.js';
import {
  bootLocationDiff,
  MEMORY_MARGIN_BYTES,
  privilegeFinding,
  relupTreeLayoutWarning,
  RELUP_SLACK_BYTES,
  workspaceFindings,
} from '../../../src/rollout/upgrade/realInstall.js';
import { facts, spec } from '../day2Fixtures.js';

const MB = 1024 * 1024;
const N = 'emqx@10.0.0.11';
const pkgSpec = spec(N, { rootDir: '/usr/lib/emqx', user: 'ops', become: 'sudo', becomeUser: 'root' });
const pkgLayout: NodeLayout = {
  rootDir: '/usr/lib/emqx',
  reportedRootDir: null,
  relform: 'deb',
  runnerUser: 'emqx',
  processUser: 'emqx',
  etcDir: { path: '/etc/emqx', source: 'emqx_vars' },
  dataDir: { path: '/var/lib/emqx', source: 'process' },
  logDir: { path: '/var/log/emqx', source: 'emqx_vars' },
};
const TGZ_VARS =
  'REL_VSN="5.10.5"\nexport EMQX_LOG_DIR="${EMQX_LOG_DIR:-${RUNNER_LOG_DIR:-$BASE_RUNNER_ROOT_DIR/log}}"\nEMQX_ETC_DIR="$BASE_RUNNER_ROOT_DIR/etc"\nRUNNER_USER=""\n';
const tarball: TarballInfo = {
  path: '/l/t.tar.gz',
  fileName: 't.tar.gz',
  sha256: 'ab12'.repeat(16),
  size: 300 * MB,
  version: '5.10.5',
  os: 'ubuntu22.04',
  arch: 'x86_64',
  otp: '27',
  uncompressedBytes: 700 * MB,
  releaseBytes: 500 * MB,
  emqxVars: TGZ_VARS,
};
const ws = (o: Partial<Workspace> = {}): Workspace => ({
  tmpDir: '/tmp',
  tmpSource: 'default',
  tmpFreeBytes: 10_000 * MB,
  tmpMount: '/tmp',
  extractionCached: false,
  relupFreeBytes: 10_000 * MB,
  relupMount: '/usr',
  memAvailableBytes: 4000 * MB,
  ...o,
});

describe('privilegeFinding', () => {
  it('password required: a blocker naming the node, the login and the way to give it', () => {
    const f = privilegeFinding(pkgSpec, { kind: 'password-required', line: 'sudo: a password is required' });
    expect(f).toMatchObject({ code: 'become-password-required', severity: 'blocker', node: N });
    expect(f.message).toContain('ops@');
    expect(f.fix).toContain('EMQX_ROLLOUT_BECOME_PASSWORD');
  });
  it('check_user: its own code, the fix sets become', () => {
    const f = privilegeFinding(spec(N, { user: 'ops' }), {
      kind: 'check-user-refused',
      line: 'You need to be root or use sudo to run this command',
    });
    expect(f.code).toBe('check-user-refused');
    expect(f.fix).toContain('set `become: sudo`');
  });
});

describe('workspaceFindings', () => {
  const f = (w: Workspace, over = {}) =>
    facts(N, { workspace: w, stagingFreeBytes: 10_000 * MB, stagingMount: '/opt', ...over });
  it('room everywhere: nothing', () => expect(workspaceFindings(pkgSpec, f(ws()), tarball, false)).toEqual([]));
  it('TMP too small for U: disk-tmp-insufficient naming the cache dir and the numbers', () => {
    const out = workspaceFindings(pkgSpec, f(ws({ tmpFreeBytes: 600 * MB })), tarball, false);
    expect(out.map((x) => x.code)).toEqual(['disk-tmp-insufficient']);
    expect(out[0].message).toContain(
      `600 MB free on the filesystem mounted at /tmp, need 700 MB: 700 MB for the tarball extracted to /tmp/emqx_relup_${'ab12'.repeat(4)}/`,
    );
  });
  it('an existing extraction cache needs no TMP room', () => {
    expect(workspaceFindings(pkgSpec, f(ws({ tmpFreeBytes: 1 * MB, extractionCached: true })), tarball, false)).toEqual(
      [],
    );
  });
  it('relup needs R + slack', () => {
    const out = workspaceFindings(pkgSpec, f(ws({ relupFreeBytes: 500 * MB + RELUP_SLACK_BYTES - 1 })), tarball, false);
    expect(out.map((x) => x.code)).toEqual(['disk-relup-insufficient']);
    expect(out[0].message).toContain('/usr/lib/emqx/relup/5.10.5/');
  });
  it('places on one filesystem add up: 1.3 GB needed on / though each alone fits', () => {
    const one = ws({ tmpMount: '/', relupMount: '/', tmpFreeBytes: 1200 * MB, relupFreeBytes: 1200 * MB });
    const out = workspaceFindings(pkgSpec, f(one, { stagingMount: '/', stagingFreeBytes: 1200 * MB }), tarball, false);
    expect(out).toHaveLength(1);
    expect(out[0].code).toBe('disk-insufficient');
    expect(out[0].message).toMatch(
      /1200 MB free on the filesystem mounted at \/, need 1564 MB: 300 MB for the tarball staged .* \+ 564 MB for the release .* \+ 700 MB for the tarball extracted/,
    );
    // staged already: the upload needs nothing more
    const more = ws({ tmpMount: '/', relupMount: '/', tmpFreeBytes: 1300 * MB, relupFreeBytes: 1300 * MB });
    expect(
      workspaceFindings(pkgSpec, f(more, { stagingMount: '/', stagingFreeBytes: 1300 * MB }), tarball, true),
    ).toEqual([]);
    expect(
      workspaceFindings(pkgSpec, f(more, { stagingMount: '/', stagingFreeBytes: 1300 * MB }), tarball, false),
    ).toHaveLength(1);
  });
  it('memory below tarball + margin', () => {
    const out = workspaceFindings(
      pkgSpec,
      f(ws({ memAvailableBytes: 300 * MB + MEMORY_MARGIN_BYTES - 1 })),
      tarball,
      false,
    );
    expect(out.map((x) => x.code)).toEqual(['memory-insufficient']);
  });
  it('without sizes or a workspace: says nothing (the 3x rule of preflight applies)', () => {
    expect(workspaceFindings(pkgSpec, facts(N), tarball, false)).toEqual([]);
    expect(
      workspaceFindings(pkgSpec, f(ws({ tmpFreeBytes: 1 })), { ...tarball, uncompressedBytes: undefined }, false),
    ).toEqual([]);
  });
});

describe('boot locations of the relup tree (restart safety)', () => {
  it('a package node and the tgz tarball: etc, log and user differ', () => {
    expect(bootLocationDiff(pkgLayout, parseEmqxVars(TGZ_VARS, '/usr/lib/emqx'))).toEqual([
      { what: 'etc dir', running: '/etc/emqx', target: '/usr/lib/emqx/etc' },
      { what: 'log dir', running: '/var/log/emqx', target: '/usr/lib/emqx/log' },
      { what: 'runner user', running: 'emqx', target: '"" (whoever starts it)' },
    ]);
  });
  it('a tarball node and the tgz tarball: nothing', () => {
    const tgz: NodeLayout = {
      ...pkgLayout,
      rootDir: '/opt/emqx',
      relform: 'tgz',
      runnerUser: '',
      etcDir: { path: '/opt/emqx/etc', source: 'emqx_vars' },
      logDir: { path: '/opt/emqx/log', source: 'emqx_vars' },
    };
    expect(bootLocationDiff(tgz, parseEmqxVars(TGZ_VARS, '/opt/emqx'))).toEqual([]);
  });
  it('plan/upgrade warn up front', () => {
    const w = relupTreeLayoutWarning(pkgSpec, facts(N, { layout: pkgLayout }), tarball);
    expect(w).toMatchObject({ code: 'relup-tree-layout-differs', severity: 'warning', node: N });
    expect(w!.message).toContain('etc dir: runs with /etc/emqx, the new tree says /usr/lib/emqx/etc');
    expect(relupTreeLayoutWarning(pkgSpec, facts(N), tarball)).toBeNull();
  });
});
