import { describe, expect, it } from 'vitest';
import {
  decideStage,
  formatBytes,
  parseDfPkLine,
  parseObservation,
  resumeCandidates,
} from '../../src/remote/stagePlan.js';

const SHA = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const MiB = 1024 * 1024;

describe('stagePlan', () => {
  it('parses df -Pk lines, including spaces in names', () => {
    expect(parseDfPkLine('/dev/vda1   264212084 22859676  83531236      22% /')).toBe(83531236 * 1024);
    expect(parseDfPkLine('my fs 100 50 50 50% /mnt/with space')).toBe(50 * 1024);
    expect(parseDfPkLine('Filesystem 1024-blocks Used Available Capacity Mounted on')).toBeUndefined();
  });

  it('parses the observe output', () => {
    const o = parseObservation(`sha ${SHA}  /opt/upgrade/x.tar.gz\npart    1234\ndf /dev/vda1 100 40 60 40% /\n`);
    expect(o).toEqual({ remoteSha: SHA, partSize: 1234, freeBytes: 60 * 1024, dfLine: '/dev/vda1 100 40 60 40% /' });
    // sha256sum escapes odd file names with a leading backslash
    expect(parseObservation(`sha \\${SHA}  /a\\nb\n`).remoteSha).toBe(SHA);
    expect(parseObservation('sha \n').remoteSha).toBeUndefined(); // unreadable file
  });

  const obs = (o: Partial<ReturnType<typeof parseObservation>>) => ({
    remoteSha: undefined,
    partSize: undefined,
    freeBytes: 10_000 * MiB,
    dfLine: 'x',
    ...o,
  });
  const local = { size: 100 * MiB, sha256: SHA, freeSpaceFactor: 4 };

  it('present when the digest matches, even with little space', () => {
    expect(decideStage(obs({ remoteSha: SHA, freeBytes: 0 }), local)).toEqual({ kind: 'present' });
  });

  it('fresh when nothing usable is there; check-part for a part no larger than the file', () => {
    expect(decideStage(obs({ remoteSha: OTHER }), local)).toEqual({ kind: 'fresh' });
    expect(decideStage(obs({ partSize: 40 * MiB }), local)).toEqual({ kind: 'check-part', partSize: 40 * MiB });
    expect(decideStage(obs({ partSize: 101 * MiB }), local)).toEqual({ kind: 'fresh' });
    expect(decideStage(obs({ partSize: 0 }), local)).toEqual({ kind: 'fresh' });
  });

  it('needs size × 4 free, counting a resumable part as already there', () => {
    // 100 MiB × 4 = 400 MiB; with a 40 MiB part: 360 MiB
    expect(decideStage(obs({ freeBytes: 399 * MiB }), local)).toEqual({
      kind: 'refuse-disk',
      needBytes: 400 * MiB,
      freeBytes: 399 * MiB,
    });
    expect(decideStage(obs({ freeBytes: 400 * MiB }), local).kind).toBe('fresh');
    expect(decideStage(obs({ freeBytes: 360 * MiB, partSize: 40 * MiB }), local).kind).toBe('check-part');
    expect(decideStage(obs({ freeBytes: undefined }), local)).toEqual({ kind: 'disk-unknown', needBytes: 400 * MiB });
  });

  it('resume candidates: the part size, then 4 MiB earlier aligned to 1 MiB', () => {
    expect(resumeCandidates(10 * MiB + 5)).toEqual([10 * MiB + 5, 6 * MiB]);
    expect(resumeCandidates(3 * MiB)).toEqual([3 * MiB]);
  });

  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536 * MiB)).toBe('1.5 GiB');
  });
});
