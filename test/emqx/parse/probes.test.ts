import { describe, expect, it } from 'vitest';
import { MARKER_ABSENT_EXIT } from '../../../src/emqx/commands.js';
import {
  parseDfAvailBytes,
  parseMarker,
  parsePatchesList,
  parseSha256,
  parseWritable,
} from '../../../src/emqx/parse/probes.js';

describe('probe parsers', () => {
  it('marker', () => {
    expect(parseMarker('5.10.5', 0)).toEqual({ kind: 'marker', version: '5.10.5' });
    expect(parseMarker('5.10.5\n', 0)).toEqual({ kind: 'marker', version: '5.10.5' });
    expect(parseMarker('', MARKER_ABSENT_EXIT)).toEqual({ kind: 'marker', version: null });
    expect(parseMarker('', 0).kind).toBe('unrecognised'); // empty marker: bin/emqx would exec relup//bin/emqx
    expect(parseMarker('5.10.5 5.10.6', 0).kind).toBe('unrecognised');
    expect(parseMarker('', 1, 'cat: /opt/emqx/relup/current: Permission denied').kind).toBe('unrecognised');
  });

  it('patches', () => {
    expect(parsePatchesList('/opt/emqx/data/patches/b.beam\n/opt/emqx/data/patches/a.beam\n', 0)).toEqual({
      kind: 'patches',
      files: ['a.beam', 'b.beam'],
    });
    expect(parsePatchesList('', 0)).toEqual({ kind: 'patches', files: [] });
    expect(parsePatchesList('', 1, 'find: permission denied').kind).toBe('unrecognised');
  });

  it('writable', () => {
    expect(parseWritable(0)).toEqual({ kind: 'writable', writable: true });
    expect(parseWritable(1)).toEqual({ kind: 'writable', writable: false });
    expect(parseWritable(127, '', 'sh: test: not found').kind).toBe('unrecognised');
  });

  it('df -Pk', () => {
    const out =
      'Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/sda1         41152736 12345678  26694904      32% /opt/my emqx\n';
    expect(parseDfAvailBytes(out)).toEqual({ kind: 'df', availBytes: 26694904 * 1024, mountedOn: '/opt/my emqx' });
    expect(parseDfAvailBytes(out.replace(/\n/g, '\r\n')).kind).toBe('df');
    expect(parseDfAvailBytes('', 1, 'df: /nope: No such file or directory').kind).toBe('unrecognised');
    expect(parseDfAvailBytes('Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/sda1 1 1 1 1% /\n').kind).toBe(
      'unrecognised',
    );
  });

  it('sha256', () => {
    const hex = 'AB'.repeat(32);
    expect(parseSha256(`${hex}  /opt/upgrade/x.tar.gz\n`)).toEqual({ kind: 'sha256', hex: hex.toLowerCase() });
    expect(parseSha256(hex)).toEqual({ kind: 'sha256', hex: hex.toLowerCase() }); // sidecar: no newline
    expect(parseSha256(`${hex}0  x`).kind).toBe('unrecognised');
    expect(parseSha256('', 1, 'sha256sum: x: No such file or directory').kind).toBe('unrecognised');
  });
});
