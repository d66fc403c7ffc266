// preflight(): every finding code from facts alone (pure: no clock, no I/O), table-driven.
import { describe, expect, it } from 'vitest';
import { commonFrom, preflight, requiredFreeBytes } from '../../../src/rollout/upgrade/preflight.js';
import type { NodeFacts } from '../../../src/rollout/core/facts.js';
import type { Finding } from '../../../src/rollout/core/types.js';
import { MB, TARBALL, facts, inventory } from '../../e2e/support/facts.js';

const inv = inventory(3);
const N = inv.nodes.map((n) => n.name);
const healthy = (): NodeFacts[] => [1, 2, 3].map((i) => facts(inv, i));
/** Node 2 with `over` applied; nodes 1 and 3 healthy. */
const withNode2 = (over: Partial<NodeFacts>, version?: string): NodeFacts[] => [
  facts(inv, 1),
  facts(inv, 2, over, version),
  facts(inv, 3),
];
const codes = (fs: readonly Finding[]): string[] => fs.map((f) => `${f.severity}:${f.code}@${f.node ?? '-'}`);

describe('preflight', () => {
  it('a healthy cluster has no findings', () => {
    expect(preflight(inv, TARBALL, healthy(), { force: false })).toEqual([]);
  });

  const table: Array<[string, NodeFacts[], string[]]> = [
    [
      'unreachable over SSH (code from the connection error)',
      withNode2({
        reachable: false,
        unreachable: {
          message: 'connect ECONNREFUSED',
          details: ['is sshd running on port 22?'],
          code: 'node-unreachable',
        },
        ctl: null,
        version: null,
        cluster: null,
      }),
      ['blocker:node-unreachable@' + N[1]],
    ],
    [
      'EMQX down',
      withNode2({
        ctl: { kind: 'down', node: N[1], message: `Node '${N[1]}' not responding to pings.` },
        version: null,
        cluster: null,
      }),
      ['blocker:node-not-running@' + N[1]],
    ],
    [
      '`ctl status` unrecognised',
      withNode2({ ctl: { kind: 'unrecognised', raw: 'segfault' }, version: null }),
      ['blocker:status-unrecognised@' + N[1]],
    ],
    [
      '`ctl status` of a node still booting (facts A5): blocked as booting, with a wait-and-retry fix',
      withNode2({ ctl: { kind: 'unrecognised', raw: 'Command table is initializing.\n[exit 1]' }, version: null }),
      ['blocker:node-booting@' + N[1]],
    ],
    [
      'host answers with another node name',
      withNode2({ ctl: { kind: 'running', node: 'emqx@10.0.0.99', version: '5.10.4', status: 'started' } }),
      ['blocker:node-name-mismatch@' + N[1]],
    ],
    [
      'node still starting',
      withNode2({ ctl: { kind: 'running', node: N[1], version: '5.10.4', status: 'starting' } }),
      ['blocker:node-not-started@' + N[1]],
    ],
    ['already at the target', withNode2({}, '5.10.5'), ['info:already-at-target@' + N[1]]],
    [
      'another from-version than the others',
      withNode2({ supportedPaths: [{ from: '5.10.3', to: '5.10.5' }] }, '5.10.3'),
      ['blocker:version-mismatch@' + N[1]],
    ],
    [
      'plugins list unreadable and relup not answering',
      withNode2({ plugins: null, supportedPaths: null, supportedPathsKind: 'unrecognised' }),
      ['blocker:plugin-unknown@' + N[1]],
    ],
    [
      'plugin missing',
      withNode2({ plugins: [], supportedPaths: null, supportedPathsKind: 'not-registered' }),
      ['blocker:plugin-missing@' + N[1]],
    ],
    [
      'plugin stopped',
      withNode2({
        plugins: [{ name: 'emqx_relup', relVsn: '1.0.1', runningStatus: 'stopped', configStatus: 'enabled' }],
        supportedPaths: null,
        supportedPathsKind: 'not-registered',
      }),
      ['blocker:plugin-not-running@' + N[1]],
    ],
    [
      'plugin listed running but `relup` not registered',
      withNode2({ supportedPaths: null, supportedPathsKind: 'not-registered' }),
      ['blocker:plugin-not-running@' + N[1]],
    ],
    ['catalog without the hop', withNode2({ supportedPaths: [] }), ['blocker:hop-unsupported@' + N[1]]],
    [
      'OS of the tarball differs',
      withNode2({ buildInfo: { os: 'el9', arch: 'amd64', otp: '27.3.4.2-8' } }),
      ['blocker:tarball-os-mismatch@' + N[1]],
    ],
    [
      'arch differs',
      withNode2({ buildInfo: { os: 'ubuntu22.04', arch: 'arm64', otp: '27.3.4.2-8' } }),
      ['blocker:tarball-arch-mismatch@' + N[1]],
    ],
    [
      'OTP major differs (26 vs 27); minor differences do not count',
      withNode2({ buildInfo: { os: 'ubuntu22.04', arch: 'amd64', otp: '26.2.5-3' } }),
      ['blocker:tarball-otp-mismatch@' + N[1]],
    ],
    ['BUILD_INFO unreadable', withNode2({ buildInfo: null }), ['warning:build-info-unknown@' + N[1]]],
    ['stale hot-patches', withNode2({ patches: ['emqx_foo.beam'] }), ['blocker:stale-patches@' + N[1]]],
    ['relup/ not writable', withNode2({ relupWritable: false }), ['blocker:relup-not-writable@' + N[1]]],
    ['marker present while on the from-version', withNode2({ marker: '5.10.5' }), ['blocker:marker-present@' + N[1]]],
    ['relup in progress', withNode2({ relupStatus: { kind: 'in-progress' } }), ['blocker:upgrade-in-progress@' + N[1]]],
    [
      '`relup status` unreadable',
      withNode2({ relupStatus: { kind: 'unrecognised', raw: 'garbage' } }),
      ['blocker:relup-status-unknown@' + N[1]],
    ],
    [
      '`cluster status` unreadable',
      withNode2({ cluster: { kind: 'unrecognised', raw: '' } }),
      ['blocker:cluster-status-unknown@' + N[1]],
    ],
    [
      '`list-supported-paths` unreadable while the plugin runs',
      withNode2({ supportedPaths: null, supportedPathsKind: 'unrecognised' }),
      ['blocker:supported-paths-unknown@' + N[1]],
    ],
    ['backupDir not writable', withNode2({ backupWritable: false }), ['blocker:backup-not-writable@' + N[1]]],
    ['stagingDir not writable', withNode2({ stagingWritable: false }), ['blocker:staging-not-writable@' + N[1]]],
    [
      'relup/current unreadable',
      withNode2({ marker: null, markerUnreadable: true }),
      ['blocker:marker-unknown@' + N[1]],
    ],
    [
      'a running cluster member not in the inventory',
      withNode2({ cluster: { kind: 'cluster', running: [...N, 'emqx@10.0.0.50'], stopped: [] } }),
      ['warning:node-not-in-inventory@emqx@10.0.0.50'],
    ],
  ];
  for (const [title, fs, expected] of table) {
    it(title, () => {
      const out = preflight(inv, TARBALL, fs, { force: false });
      expect(codes(out)).toEqual(expected);
      for (const f of out) {
        expect(f.message).toContain(f.node!);
        if (f.severity === 'blocker') expect(f.fix).toBeTruthy();
      }
    });
  }

  it('--no-backup does not need a writable backupDir', () => {
    expect(
      codes(preflight(inv, TARBALL, withNode2({ backupWritable: false }), { force: false, noBackup: true })),
    ).toEqual([]);
  });

  it('--force turns stale patches into a warning', () => {
    expect(codes(preflight(inv, TARBALL, withNode2({ patches: ['emqx_foo.beam'] }), { force: true }))).toEqual([
      'warning:stale-patches@' + N[1],
    ]);
  });

  it('not a patch hop: 5.9.1 → 5.10.5 on every node', () => {
    const fs = [1, 2, 3].map((i) => facts(inv, i, { supportedPaths: [{ from: '5.9.1', to: '5.10.5' }] }, '5.9.1'));
    expect(codes(preflight(inv, TARBALL, fs, { force: false }))).toEqual(N.map((n) => `blocker:hop-not-patch@${n}`));
  });

  it('a pre-release from-version warns (version-prerelease)', () => {
    const fs = [1, 2, 3].map((i) =>
      facts(inv, i, { supportedPaths: [{ from: '5.10.5-rc.1', to: '5.10.5' }] }, '5.10.5-rc.1'),
    );
    expect(codes(preflight(inv, TARBALL, fs, { force: false }))).toEqual(
      N.map((n) => `warning:version-prerelease@${n}`),
    );
  });

  it('an inventory node missing from cluster status is blamed once, seen from the others', () => {
    const view = { kind: 'cluster' as const, running: [N[0], N[1]], stopped: [N[2]] };
    const fs = [
      facts(inv, 1, { cluster: view }),
      facts(inv, 2, { cluster: view }),
      facts(inv, 3, { cluster: { kind: 'cluster', running: [N[2]], stopped: [N[0], N[1]] } }),
    ];
    const out = preflight(inv, TARBALL, fs, { force: false });
    expect(codes(out)).toEqual([
      `blocker:cluster-node-not-running@${N[0]}`,
      `blocker:cluster-node-not-running@${N[1]}`,
      `blocker:cluster-node-not-running@${N[2]}`,
    ]);
    expect(out[2].message).toContain(`as seen from ${N[0]}, ${N[1]}`);
  });

  describe('disk: tarball + 3x for the extracted and deployed copies', () => {
    // 300 MB tarball not yet staged: 300 + 900 = 1200 MB; staged already: 900 MB
    it('requiredFreeBytes', () => {
      expect(requiredFreeBytes(300 * MB, false)).toBe(1200 * MB);
      expect(requiredFreeBytes(300 * MB, true)).toBe(900 * MB);
    });
    const at = (free: number, staged = false): string[] =>
      codes(
        preflight(
          inv,
          TARBALL,
          withNode2({
            stagingFreeBytes: free,
            ...(staged ? { stagedSha256: TARBALL.sha256, stagedSidecar: true } : {}),
          }),
          { force: false },
        ),
      );
    it('exactly 1200 MB passes, one byte less blocks', () => {
      expect(at(1200 * MB)).toEqual([]);
      expect(at(1200 * MB - 1)).toEqual([`blocker:disk-insufficient@${N[1]}`]);
    });
    it('an already staged tarball needs only 900 MB', () => {
      expect(at(900 * MB, true)).toEqual([]);
      expect(at(900 * MB - 1, true)).toEqual([`blocker:disk-insufficient@${N[1]}`]);
    });
    it('unknown free space is not guessed into a blocker', () => {
      expect(at(null as unknown as number)).toEqual([]);
    });
  });

  it('commonFrom: the most common version not at the target', () => {
    expect(commonFrom([facts(inv, 1, {}, '5.10.5'), facts(inv, 2), facts(inv, 3)], '5.10.5')).toBe('5.10.4');
    expect(commonFrom([facts(inv, 1, {}, '5.10.5')], '5.10.5')).toBeNull();
    expect(commonFrom([facts(inv, 1, {}, '5.10.3'), facts(inv, 2), facts(inv, 3)], '5.10.5')).toBe('5.10.4');
  });

  it('is pure: same input, same output, inputs untouched', () => {
    const fs = withNode2({ patches: ['x.beam'], relupWritable: false });
    const snapshot = JSON.stringify(fs);
    expect(preflight(inv, TARBALL, fs, { force: false })).toEqual(preflight(inv, TARBALL, fs, { force: false }));
    expect(JSON.stringify(fs)).toBe(snapshot);
  });
});
