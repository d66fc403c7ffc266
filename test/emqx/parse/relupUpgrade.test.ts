import { describe, expect, it } from 'vitest';
import { mapGet, textOf, toPlain } from '../../../src/emqx/erlangTerm.js';
import { parseRelupUpgrade } from '../../../src/emqx/parse/relupUpgrade.js';
import { crlf, fx } from '../fixture.js';

describe('parseRelupUpgrade', () => {
  it('upgrade complete, exit 0', () => {
    expect(parseRelupUpgrade('upgrade complete\n', '', 0)).toEqual({ kind: 'complete', raw: 'upgrade complete\n' });
  });

  it('`upgrade complete` with a non-zero exit is not called a success', () => {
    expect(parseRelupUpgrade('upgrade complete\n', '', 1).kind).toBe('unrecognised');
    expect(parseRelupUpgrade('upgrade complete\n', '', null).kind).toBe('unrecognised');
  });

  it.each([
    ['upgrade-failed-sha256-mismatch.txt', 'sha256_mismatch'],
    ['upgrade-failed-missing-sidecar.txt', 'missing_sha256_sidecar'],
    ['upgrade-failed-no-relup-entry.txt', 'no_relup_entry'],
    ['upgrade-failed-duplicate-pending.txt', 'duplicate_pending_target'],
    ['upgrade-failed-already-upgraded.txt', 'already_upgraded_to_target_vsn'],
    ['upgrade-failed-patches.txt', 'patches_dir_not_empty'],
    ['upgrade-failed-tarball-not-found.txt', 'target_tarball_not_found'],
    ['upgrade-failed-no-write-permission.txt', 'no_write_permission'],
    ['upgrade-failed-cannot-read-emqx-vars.txt', 'cannot_read_emqx_vars'],
  ])('%s → failed %s, exit 0, wrapped and CRLF alike', (file, errType) => {
    for (const text of [fx(file), crlf(fx(file))]) {
      const r = parseRelupUpgrade(text, '', 0);
      expect(r.kind).toBe('failed');
      if (r.kind !== 'failed') return;
      expect(r.errType).toBe(errType);
      expect(r.stage).toBe('check_and_unpack');
      expect(r.reason?.type).toBe('map');
      expect(r.raw).toBe(text);
    }
  });

  it('keeps the evidence of the reason map', () => {
    const r = parseRelupUpgrade(fx('upgrade-failed-sha256-mismatch.txt'), '', 0);
    if (r.kind !== 'failed') throw new Error(r.kind);
    expect(textOf(mapGet(r.reason, 'actual'))).toBe('3f1c2a9e8b7d6c5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877');
    expect(textOf(mapGet(r.reason, 'sidecar'))).toBe(
      '/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256',
    );

    const nr = parseRelupUpgrade(fx('upgrade-failed-no-relup-entry.txt'), '', 0);
    if (nr.kind !== 'failed') throw new Error(nr.kind);
    expect(toPlain(mapGet(nr.reason, 'supported_paths')!)).toEqual([
      { from_version: '5.10.4', target_version: '5.10.5' },
    ]);
    expect(textOf(mapGet(nr.reason, 'target_vsn'))).toBe('5.10.6');

    const dup = parseRelupUpgrade(fx('upgrade-failed-duplicate-pending.txt'), '', 0);
    if (dup.kind !== 'failed') throw new Error(dup.kind);
    expect(textOf(mapGet(dup.reason, 'pending_target'))).toBe('5.10.5');
  });

  it('an unparseable reason (facts elide `#{...same shape...}`) still yields err_type and stage', () => {
    const r = parseRelupUpgrade(fx('upgrade-failed-os-arch-mismatch.txt'), '', 0);
    expect(r).toMatchObject({ kind: 'failed', errType: 'os_arch_mismatch', stage: 'check_and_unpack', reason: null });
  });

  it('os_arch_mismatch with both maps printed parses, string keys and BUILD_INFO artefacts kept', () => {
    const text = fx('upgrade-failed-os-arch-mismatch.txt').replace(
      '#{...same shape...}',
      '#{"arch" => "aarch64-unknown-linux-gnu\\"\\n","os" => "el9\\"\\n"}',
    );
    const r = parseRelupUpgrade(text, '', 0);
    if (r.kind !== 'failed') throw new Error(r.kind);
    expect(toPlain(mapGet(r.reason, 'curr')!)).toMatchObject({ arch: 'x86_64-pc-linux-gnu"\n', wordsize: '64\n' });
    expect(toPlain(mapGet(r.reason, 'new')!)).toEqual({ arch: 'aarch64-unknown-linux-gnu"\n', os: 'el9"\n' });
  });

  it('exception during perform stage', () => {
    const out =
      'upgrade failed, reason: #{class => error,err_type => exception,\n' +
      '                          reason => {badmatch,{error,enoent}},\n' +
      '                          stacktrace => [{emqx_relup_handler,perform,2,[{file,"x.erl"},{line,9}]}],\n' +
      '                          stage => perform_upgrade}\n';
    expect(parseRelupUpgrade(out, '', 0)).toMatchObject({
      kind: 'failed',
      errType: 'exception',
      stage: 'perform_upgrade',
    });
  });

  it('vm-restarted line', () => {
    const out = 'upgrade failed, emqx restarted, reason: #{err_type => exception,stage => perform_upgrade}\n';
    const r = parseRelupUpgrade(out, '', 0);
    expect(r.kind).toBe('vm-restarted');
  });

  it('RPC failure (crash during code change restarts the VM under the call)', () => {
    expect(parseRelupUpgrade("RPC to 'emqx@127.0.0.1' failed: nodedown\n", '', 1).kind).toBe('rpc-failed');
    expect(parseRelupUpgrade("RPC to emqx@127.0.0.1 failed: {'EXIT',noconnection}\n", '', 1).kind).toBe('rpc-failed');
    expect(parseRelupUpgrade('', '', 1)).toEqual({ kind: 'rpc-failed', raw: '' });
  });

  it('empty output with exit 0 or a dead channel is not a verdict', () => {
    expect(parseRelupUpgrade('', '', 0).kind).toBe('unrecognised');
    expect(parseRelupUpgrade('', '', null).kind).toBe('unrecognised');
  });

  it('usage block (e.g. --force on plugin 1.0.0), exit 0', () => {
    expect(parseRelupUpgrade(fx('relup-usage-1.0.1.txt'), '', 0).kind).toBe('usage');
    const v100 =
      'relup upgrade <TarballPath>      # Upgrade using the EMQX target tarball at <TarballPath>.\n' +
      'relup list-supported-paths       # List the {From, Target} hops the priv catalog supports.\n' +
      'relup status                     # Print the current upgrade state of this node:\n';
    expect(parseRelupUpgrade(v100, '', 0).kind).toBe('usage');
  });

  it('plugin not installed or stopped: full ctl help, exit 1', () => {
    expect(parseRelupUpgrade(fx('constructed-ctl-help.txt'), '', 1).kind).toBe('not-registered');
    // the same help with exit 0 is not the not-registered case
    expect(parseRelupUpgrade(fx('constructed-ctl-help.txt'), '', 0).kind).toBe('unrecognised');
  });

  it('node down', () => {
    expect(parseRelupUpgrade('', "Node 'emqx@127.0.0.1' not responding to pings.\n", 1)).toMatchObject({
      kind: 'down',
      node: 'emqx@127.0.0.1',
    });
  });

  it('a failure line wins over text that only mentions completion', () => {
    const out = 'upgrade failed, reason: #{err_type => no_relup_entry,hint => <<"upgrade complete">>}\n';
    expect(parseRelupUpgrade(out, '', 0).kind).toBe('failed');
  });

  it('anything else is unrecognised with raw text', () => {
    expect(parseRelupUpgrade('upgraded to 5.10.5 successfully\n', '', 0)).toEqual({
      kind: 'unrecognised',
      raw: 'upgraded to 5.10.5 successfully\n',
    });
  });
});
