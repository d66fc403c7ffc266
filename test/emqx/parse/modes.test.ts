// Staged files readable by the user the relup handler runs as (facts A4).
import { describe, expect, it } from 'vitest';
import { stagedModes } from '../../../src/emqx/commands.js';
import { judgeStagedReadable } from '../../../src/emqx/parse/modes.js';

const T = '/opt/upgrade/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz';
const files = [T, `${T}.sha256`];
const stat = (tar: string, side: string, up: string, opt = '755 root /opt') =>
  [`${tar} ${T}`, `${side} ${T}.sha256`, opt, `${up} /opt/upgrade`].join('\n');

describe('judgeStagedReadable', () => {
  it.each([
    ['world-readable files, searchable dirs', stat('644 ops', '644 ops', '755 ops'), 'emqx', true, ''],
    ['owned by emqx, 0600', stat('600 emqx', '600 emqx', '700 emqx'), 'emqx', true, ''],
    [
      '0600 owned by the login user',
      stat('600 ops', '644 ops', '755 ops'),
      'emqx',
      false,
      `${T} (mode 0600, owner ops) is not readable by emqx`,
    ],
    [
      'a 0700 staging dir',
      stat('644 ops', '644 ops', '700 ops'),
      'emqx',
      false,
      '/opt/upgrade (mode 0700, owner ops) is not searchable by emqx, who runs the relup handler: chmod o+x /opt/upgrade',
    ],
    [
      'a 0750 parent',
      stat('644 ops', '644 ops', '755 ops', '750 root /opt'),
      'emqx',
      false,
      '/opt (mode 0750, owner root) is not searchable',
    ],
    ['root reads anything', stat('600 ops', '600 ops', '700 ops'), 'root', true, ''],
  ])('%s', (_, text, user, ok, msg) => {
    const v = judgeStagedReadable(text, files, user)!;
    expect(v.ok).toBe(ok);
    expect(v.message).toContain(msg);
  });
  it('a missing file is not readable; an unknown user is not judged', () => {
    expect(judgeStagedReadable(`644 ops ${T}\n755 ops /opt/upgrade\n`, files, 'emqx')).toEqual({
      ok: false,
      message: `cannot stat ${T}.sha256`,
    });
    expect(judgeStagedReadable(stat('600 ops', '600 ops', '700 ops'), files, null)).toBeNull();
    expect(judgeStagedReadable(stat('600 ops', '600 ops', '700 ops'), files, '')).toBeNull();
  });
  it('stagedModes stats the files and every ancestor', () => {
    expect(stagedModes(files)).toBe(`stat -c '%a %U %n' -- '${T}' '${T}.sha256' '/opt' '/opt/upgrade'`);
  });
});
