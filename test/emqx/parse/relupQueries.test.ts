import { describe, expect, it } from 'vitest';
import { parseRelupLogs } from '../../../src/emqx/parse/relupLogs.js';
import { parseSupportedPaths } from '../../../src/emqx/parse/relupPaths.js';
import { parseRelupStatus } from '../../../src/emqx/parse/relupStatus.js';
import { crlf, fx } from '../fixture.js';

const DOWN = "Node 'emqx@127.0.0.1' not responding to pings.\n";

describe('parseSupportedPaths', () => {
  it('path lines with exit 1 are success (list-comprehension quirk)', () => {
    expect(parseSupportedPaths('5.10.4 -> 5.10.5\n', 1)).toEqual({
      kind: 'paths',
      paths: [{ from: '5.10.4', to: '5.10.5' }],
    });
    expect(parseSupportedPaths(crlf('5.10.5 -> 5.10.6\n5.10.4 -> 5.10.5\n'), 1)).toEqual({
      kind: 'paths',
      paths: [
        { from: '5.10.5', to: '5.10.6' },
        { from: '5.10.4', to: '5.10.5' },
      ],
    });
  });
  it('empty catalog, exit 0', () => {
    expect(parseSupportedPaths('no supported upgrade paths in priv catalog\n', 0)).toEqual({
      kind: 'paths',
      paths: [],
    });
  });
  it('not registered / down / usage / garbage', () => {
    expect(parseSupportedPaths(fx('constructed-ctl-help.txt'), 1).kind).toBe('not-registered');
    expect(parseSupportedPaths('', 1, DOWN).kind).toBe('down');
    expect(parseSupportedPaths(fx('relup-usage-1.0.1.txt'), 0).kind).toBe('usage');
    expect(parseSupportedPaths('5.10.4 -> 5.10.5\nsomething else\n', 1).kind).toBe('unrecognised');
    expect(parseSupportedPaths('', 1).kind).toBe('unrecognised');
    expect(parseSupportedPaths('no supported upgrade paths in priv catalog\n', 1).kind).toBe('unrecognised');
  });
});

describe('parseRelupStatus', () => {
  it.each([
    ['idle\n', { kind: 'idle' }],
    ['in-progress\r\n', { kind: 'in-progress' }],
    [
      'hot-upgraded to 5.10.5; pending on restart to boot from the new version\n',
      { kind: 'hot-upgraded', target: '5.10.5' },
    ],
  ])('%j', (out, expected) => {
    expect(parseRelupStatus(out)).toEqual(expected);
  });
  it('others', () => {
    expect(parseRelupStatus(fx('constructed-ctl-help.txt'), '', 1).kind).toBe('not-registered');
    expect(parseRelupStatus('', DOWN, 1).kind).toBe('down');
    expect(parseRelupStatus("'idle'\n").kind).toBe('unrecognised');
    expect(parseRelupStatus('hot-upgraded to 5.10.5\n').kind).toBe('unrecognised');
    expect(parseRelupStatus('idle\nin-progress\n').kind).toBe('unrecognised');
  });
});

describe('parseRelupLogs', () => {
  it('reads the recorded rows: unknown target, quoted in-progress, <<>> result, escaped details', () => {
    for (const text of [fx('relup-logs.txt'), crlf(fx('relup-logs.txt'))]) {
      const r = parseRelupLogs(text);
      if (r.kind !== 'logs') throw new Error(r.kind);
      expect(r.rows).toHaveLength(3);
      const [a, b, c] = r.rows;
      expect(a).toMatchObject({
        started: '2026-06-20T10:11:12.345+00:00',
        finished: '2026-06-20T10:11:20.468+00:00',
        from: '5.10.4',
        target: null,
        status: 'finished',
        result: {
          kind: 'error',
          errType: 'sha256_mismatch',
          details:
            '#{actual => <<"3f1c...8877">>,expected => <<"dead...0000">>,file => "/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz",sidecar => "/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256",stage => check_and_unpack}',
        },
      });
      expect(b).toMatchObject({ from: '5.10.4', target: '5.10.5', status: 'finished', result: { kind: 'success' } });
      expect(c).toMatchObject({ finished: null, target: null, status: 'in-progress', result: { kind: 'none' } });
    }
  });

  it('no history → []', () => {
    expect(parseRelupLogs('no upgrade history on this node\n')).toEqual({ kind: 'logs', rows: [] });
  });

  it('an unknown result form is kept per row, an unknown row fails the whole output', () => {
    const odd =
      'started=2026-06-20T10:11:12.345+00:00 finished=2026-06-20T10:11:13.345+00:00 5.10.4 -> 5.10.5 status=finished result={weird,1}\n';
    const r = parseRelupLogs(odd);
    if (r.kind !== 'logs') throw new Error(r.kind);
    expect(r.rows[0].result).toEqual({ kind: 'unrecognised', raw: '{weird,1}' });
    expect(parseRelupLogs(`${odd}garbage\n`).kind).toBe('unrecognised');
    expect(parseRelupLogs(odd.replace('status=finished', 'status=aborted')).kind).toBe('unrecognised');
  });

  it('not registered / down', () => {
    expect(parseRelupLogs(fx('constructed-ctl-help.txt'), '', 1).kind).toBe('not-registered');
    expect(parseRelupLogs('', DOWN, 1).kind).toBe('down');
  });
});
