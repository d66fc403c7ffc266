// The simulator's printers against the recorded real outputs of reference/emqx-cli-facts.md.
import { describe, expect, it } from 'vitest';
import { amap, atom, bin, list, prettyTerm, str, writeTerm } from '../../src/sim/erlTerm.js';
import { jiffyPretty } from '../../src/sim/jiffy.js';
import {
  failureResult,
  formatBroker,
  formatBrokerStats,
  formatClusterStatus,
  formatClusterStatusJson,
  formatLogRow,
  formatRelupStatus,
  formatStatus,
  humanDuration,
  listSupportedPaths,
  notResponding,
  relupUsage,
  upgradeFailed,
} from '../../src/sim/outputs.js';
import { parseBuildInfo } from '../../src/sim/relup.js';
import { buildInfo } from '../../src/sim/tarball.js';

const T = '/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz';
const cu = { stage: atom('check_and_unpack') };

describe('upgrade failed, reason: ~p (facts §1.5, rendered)', () => {
  it('sha256_mismatch', () => {
    const r = amap({
      actual: bin('3f1c2a9e8b7d6c5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877'),
      err_type: atom('sha256_mismatch'),
      expected: bin('deadbeef00000000000000000000000000000000000000000000000000000000'),
      file: str(T),
      sidecar: str(`${T}.sha256`),
      ...cu,
    });
    expect(upgradeFailed(r)).toBe(`upgrade failed, reason: #{actual =>
                              <<"3f1c2a9e8b7d6c5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877">>,
                          err_type => sha256_mismatch,
                          expected =>
                              <<"deadbeef00000000000000000000000000000000000000000000000000000000">>,
                          file =>
                              "/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz",
                          sidecar =>
                              "/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256",
                          stage => check_and_unpack}
`);
  });

  it('missing_sha256_sidecar', () => {
    expect(upgradeFailed(amap({ ...cu, file: str(`${T}.sha256`), err_type: atom('missing_sha256_sidecar') }))).toBe(
      `upgrade failed, reason: #{err_type => missing_sha256_sidecar,
                          file =>
                              "/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256",
                          stage => check_and_unpack}
`,
    );
  });

  it('no_relup_entry packs short pairs onto a line and nests the catalog', () => {
    const r = amap({
      err_type: atom('no_relup_entry'),
      from_vsn: str('5.10.4'),
      ...cu,
      supported_paths: list([amap({ from_version: str('5.10.4'), target_version: str('5.10.5') })]),
      target_vsn: str('5.10.6'),
    });
    expect(upgradeFailed(r)).toBe(`upgrade failed, reason: #{err_type => no_relup_entry,from_vsn => "5.10.4",
                          stage => check_and_unpack,
                          supported_paths =>
                              [#{from_version => "5.10.4",
                                 target_version => "5.10.5"}],
                          target_vsn => "5.10.6"}
`);
  });

  it('duplicate_pending_target, already_upgraded, patches, not found, no_write_permission, emqx_vars', () => {
    expect(
      upgradeFailed(
        amap({
          err_type: atom('duplicate_pending_target'),
          hint: bin(
            'this exact target is already deployed and pending node restart; restart the node, or remove the marker file to retry',
          ),
          marker_file: bin('/opt/emqx/relup/current'),
          pending_target: bin('5.10.5'),
          ...cu,
        }),
      ),
    ).toBe(`upgrade failed, reason: #{err_type => duplicate_pending_target,
                          hint =>
                              <<"this exact target is already deployed and pending node restart; restart the node, or remove the marker file to retry">>,
                          marker_file => <<"/opt/emqx/relup/current">>,
                          pending_target => <<"5.10.5">>,
                          stage => check_and_unpack}
`);
    expect(upgradeFailed(amap({ err_type: atom('already_upgraded_to_target_vsn'), ...cu, vsn: str('5.10.5') }))).toBe(
      `upgrade failed, reason: #{err_type => already_upgraded_to_target_vsn,
                          stage => check_and_unpack,vsn => "5.10.5"}
`,
    );
    expect(
      upgradeFailed(
        amap({
          dir: bin('/opt/emqx/data/patches'),
          err_type: atom('patches_dir_not_empty'),
          files: list([bin('emqx_foo.beam')]),
          hint: bin(
            'hot-patch beam files in this dir will shadow modules from the upgrade target. Delete them if the target already contains those fixes; re-run with --force if you intend the patches to remain applied on top of the target.',
          ),
          ...cu,
        }),
      ),
    ).toBe(`upgrade failed, reason: #{dir => <<"/opt/emqx/data/patches">>,
                          err_type => patches_dir_not_empty,
                          files => [<<"emqx_foo.beam">>],
                          hint =>
                              <<"hot-patch beam files in this dir will shadow modules from the upgrade target. Delete them if the target already contains those fixes; re-run with --force if you intend the patches to remain applied on top of the target.">>,
                          stage => check_and_unpack}
`);
    expect(upgradeFailed(amap({ err_type: atom('target_tarball_not_found'), file: str(T), ...cu }))).toBe(
      `upgrade failed, reason: #{err_type => target_tarball_not_found,
                          file =>
                              "/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz",
                          stage => check_and_unpack}
`,
    );
    expect(upgradeFailed(amap({ dir: str('/opt/emqx/relup'), err_type: atom('no_write_permission'), ...cu }))).toBe(
      `upgrade failed, reason: #{dir => "/opt/emqx/relup",
                          err_type => no_write_permission,
                          stage => check_and_unpack}
`,
    );
    expect(
      upgradeFailed(
        amap({
          err_type: atom('cannot_read_emqx_vars'),
          file: str('/tmp/emqx_relup_3f1c2a9e8b7d6c5f/releases/emqx_vars'),
          reason: atom('enoent'),
          ...cu,
        }),
      ),
    ).toBe(`upgrade failed, reason: #{err_type => cannot_read_emqx_vars,
                          file =>
                              "/tmp/emqx_relup_3f1c2a9e8b7d6c5f/releases/emqx_vars",
                          reason => enoent,stage => check_and_unpack}
`);
  });

  it('os_arch_mismatch keeps the BUILD_INFO "\\n quirk and string keys in term order', () => {
    const curr = parseBuildInfo(
      buildInfo({ buildArch: 'x86_64-pc-linux-gnu', os: 'ubuntu22.04', erlang: '27.3.4.2-8' }),
    );
    expect(curr.arch).toBe('x86_64-pc-linux-gnu"\n');
    expect(curr.wordsize).toBe('64\n');
    const out = upgradeFailed(
      amap({
        curr: { t: 'map', v: Object.entries(curr).map(([k, v]) => [str(k), str(v)] as const) },
        err_type: atom('os_arch_mismatch'),
        new: str('x'),
        ...cu,
      }),
    );
    expect(out.split('\n').slice(0, 6).join('\n')).toBe(String.raw`upgrade failed, reason: #{curr =>
                              #{"arch" => "x86_64-pc-linux-gnu\"\n",
                                "elixir" => "none\"\n",
                                "erlang" => "27.3.4.2-8\"\n",
                                "os" => "ubuntu22.04\"\n",
                                "relform" => "tgz\"\n","wordsize" => "64\n"},`);
  });
});

describe('other ctl outputs', () => {
  it('status, node down, relup status precedence', () => {
    expect(formatStatus('emqx@127.0.0.1', '5.10.4', 'started')).toBe("Node 'emqx@127.0.0.1' 5.10.4 is started\n");
    expect(notResponding('emqx@127.0.0.1')).toBe("Node 'emqx@127.0.0.1' not responding to pings.\n");
    expect(formatRelupStatus({ marker: '5.10.5', lastRowInProgress: true })).toBe(
      'hot-upgraded to 5.10.5; pending on restart to boot from the new version\n',
    );
    expect(formatRelupStatus({ marker: null, lastRowInProgress: true })).toBe('in-progress\n');
    expect(formatRelupStatus({ marker: null, lastRowInProgress: false })).toBe('idle\n');
  });

  it('cluster status: Erlang term wrapping and jiffy JSON', () => {
    expect(formatClusterStatus(['emqx@127.0.0.1'], [])).toBe(
      "Cluster status: #{running_nodes => ['emqx@127.0.0.1'],stopped_nodes => []}\n",
    );
    expect(formatClusterStatus(['emqx@node3.emqx.io', 'emqx@node1.emqx.io', 'emqx@node2.emqx.io'], [])).toBe(
      `Cluster status: #{running_nodes =>
                      ['emqx@node1.emqx.io','emqx@node2.emqx.io',
                       'emqx@node3.emqx.io'],
                  stopped_nodes => []}
`,
    );
    expect(formatClusterStatus(['emqx@node1.emqx.io', 'emqx@node2.emqx.io'], ['emqx@node3.emqx.io'])).toBe(
      `Cluster status: #{running_nodes => ['emqx@node1.emqx.io','emqx@node2.emqx.io'],
                  stopped_nodes => ['emqx@node3.emqx.io']}
`,
    );
    expect(formatClusterStatusJson(['emqx@127.0.0.1'], [])).toBe(
      '{\n  "stopped_nodes" : [\n    \n  ],\n  "running_nodes" : [\n    "emqx@127.0.0.1"\n  ]\n}\n',
    );
    expect(jiffyPretty({ key: [] })).toBe('{\n  "key" : [\n    \n  ]\n}');
  });

  it('broker, broker stats, durations', () => {
    const b = formatBroker('5.10.4', Date.UTC(2026, 5, 20, 10, 11, 12, 123), 0, ((26 * 60 + 3) * 60 + 4) * 1000);
    expect(b).toBe(
      'sysdescr  : EMQX Enterprise\nversion   : 5.10.4\ndatetime  : 2026-06-20T10:11:12.123000000+00:00\nuptime    : 1 days, 2 hours, 3 minutes, 4 seconds\n',
    );
    expect(humanDuration(52_000)).toBe('52 seconds');
    expect(humanDuration(3_600_000)).toBe('1 hours, 0 minutes, 0 seconds');
    const s = formatBrokerStats({ 'connections.count': 7 }).split('\n');
    expect(s[0]).toBe('channels.count                : 0');
    expect(s).toContain('connections.count             : 7');
    expect(s).toContain('subscriptions.shared.max      : 0');
    expect(s.length).toBe(29); // 28 stats + trailing newline
  });

  it('logs rows and result details (~0p of the rest)', () => {
    const reason = amap({
      err_type: atom('sha256_mismatch'),
      actual: bin('3f1c'),
      expected: bin('dead'),
      file: str(T),
      sidecar: str(`${T}.sha256`),
      ...cu,
    });
    const row1 = formatLogRow(
      {
        startedAt: Date.UTC(2026, 5, 20, 10, 11, 12, 345),
        finishedAt: Date.UTC(2026, 5, 20, 10, 11, 20, 468),
        from: '5.10.4',
        target: null,
        status: 'finished',
        result: failureResult(reason),
      },
      0,
    );
    expect(row1).toBe(
      String.raw`started=2026-06-20T10:11:12.345+00:00 finished=2026-06-20T10:11:20.468+00:00 5.10.4 ->  status=finished result=#{details => <<"#{actual => <<\"3f1c\">>,expected => <<\"dead\">>,file => \"/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz\",sidecar => \"/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256\",stage => check_and_unpack}">>,err_type => sha256_mismatch}` +
        '\n',
    );
    expect(
      formatLogRow(
        {
          startedAt: Date.UTC(2026, 5, 20, 10, 13, 12, 345),
          finishedAt: null,
          from: '5.10.4',
          target: null,
          status: 'in-progress',
          result: '<<>>',
        },
        0,
      ),
    ).toBe("started=2026-06-20T10:13:12.345+00:00 finished= 5.10.4 ->  status='in-progress' result=<<>>\n");
    expect(
      formatLogRow(
        { startedAt: 0, finishedAt: 1000, from: '5.10.4', target: '5.10.5', status: 'finished', result: 'success' },
        120,
      ),
    ).toBe(
      'started=1970-01-01T02:00:00.000+02:00 finished=1970-01-01T02:00:01.000+02:00 5.10.4 -> 5.10.5 status=finished result=success\n',
    );
    expect(writeTerm(atom('in-progress'))).toBe("'in-progress'");
  });

  it('relup usage (1.0.1 exact; 1.0.0 narrower without --force) and list-supported-paths', () => {
    expect(relupUsage('1.0.1'))
      .toBe(`relup upgrade <TarballPath> [--force] # Upgrade using the EMQX target tarball at <TarballPath>.
                                      # A \`<TarballPath>.sha256\` sidecar must sit next to it.
                                      # Target version is read from the tarball's
                                      # \`releases/emqx_vars\` (\`REL_VSN\`).
                                      # Refuses to proceed if \`data/patches/\` contains any
                                      # \`*.beam\` (they would shadow the target's modules). Pass
                                      # --force to keep the patches and proceed anyway.
relup list-supported-paths            # List the {From, Target} hops the priv catalog supports.
relup status                          # Print the current upgrade state of this node:
                                      #   'idle'                  no upgrade in progress;
                                      #   'in-progress'           an upgrade is running right now;
                                      #   'hot-upgraded to <vsn>' a previous upgrade has been applied
                                      #                           and the node is pending restart to
                                      #                           boot from the new version.
relup logs                            # Print this node's upgrade history,
                                      # one row per attempt, oldest first.
relup logs-clear                      # Wipe this node's upgrade log table.
`);
    const old = relupUsage('1.0.0').split('\n');
    expect(old[0]).toBe('relup upgrade <TarballPath> # Upgrade using the EMQX target tarball at <TarballPath>.');
    expect(old.some((l) => l.includes('--force'))).toBe(false);
    expect(old[5]).toBe('relup status                # Print the current upgrade state of this node:');
    expect(listSupportedPaths([])).toBe('no supported upgrade paths in priv catalog\n');
    expect(listSupportedPaths([{ from: '5.10.4', target: '5.10.5' }])).toBe('5.10.4 -> 5.10.5\n');
  });

  it('~p fits on one line when short', () => {
    expect(prettyTerm(amap({ a: atom('b') }), 25)).toBe('#{a => b}');
  });
});
