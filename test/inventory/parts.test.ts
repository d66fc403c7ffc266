// The small pure pieces: jump specs, key suggestions, window times, local path expansion.
import { describe, expect, it } from 'vitest';
import { parseJumpChain, parseJumpHop } from '../../src/inventory/jump.js';
import { resolveLocalPath } from '../../src/inventory/localPath.js';
import { closest, levenshtein, unknownKeyMessage } from '../../src/inventory/suggest.js';
import { isTimeZone, parseHHMM } from '../../src/inventory/window.js';

describe('jump', () => {
  it('parses [user@]host[:port], IPv6 in brackets, and chains outermost first', () => {
    expect(parseJumpHop('bastion')).toEqual({ ok: true, hops: [{ user: undefined, host: 'bastion', port: 22 }] });
    expect(parseJumpHop('ops@bastion.example.com:2222')).toEqual({
      ok: true,
      hops: [{ user: 'ops', host: 'bastion.example.com', port: 2222 }],
    });
    expect(parseJumpHop('[2001:db8::1]:2200')).toEqual({
      ok: true,
      hops: [{ user: undefined, host: '2001:db8::1', port: 2200 }],
    });
    expect(parseJumpChain('a@outer,inner:2022')).toEqual({
      ok: true,
      hops: [
        { user: 'a', host: 'outer', port: 22 },
        { user: undefined, host: 'inner', port: 2022 },
      ],
    });
  });
  it('rejects what ssh -J would not take, saying what was expected', () => {
    expect(parseJumpHop('host:0')).toEqual({
      ok: false,
      message: 'expected [user@]host[:port] with a port 1–65535, found "host:0"',
    });
    expect(parseJumpHop('2001:db8::1')).toEqual({
      ok: false,
      message: 'expected [user@]host[:port] (IPv6 in brackets: [::1]:22), found "2001:db8::1"',
    });
    expect(parseJumpHop('ssh://x')).toMatchObject({ ok: false });
    expect(parseJumpChain('a,,b')).toEqual({ ok: false, message: 'expected [user@]host[:port], found an empty hop' });
  });
});

describe('suggestions', () => {
  it('levenshtein', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });
  it('suggests close keys case-insensitively and nothing for far ones', () => {
    expect(closest('identityfile', ['identityFile', 'knownHosts'])).toBe('identityFile');
    expect(closest('knownhost', ['identityFile', 'knownHosts'])).toBe('knownHosts');
    expect(closest('zzz', ['port', 'user'])).toBeUndefined();
    expect(unknownKeyMessage('zzz', ['port', 'user'])).toBe('unknown key "zzz"; expected one of `port`, `user`');
  });
});

describe('window parts', () => {
  it('HH:MM 24h only', () => {
    expect(parseHHMM('00:00')).toBe(0);
    expect(parseHHMM('23:59')).toBe(1439);
    expect(parseHHMM('24:00')).toBeUndefined();
    expect(parseHHMM('2:00')).toBeUndefined();
    expect(parseHHMM('12:60')).toBeUndefined();
  });
  it('IANA zones through Intl', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('local paths', () => {
  it('~ is home, relative is relative to the inventory directory, ~user is refused', () => {
    expect(resolveLocalPath('~/.ssh/id', '/home/op', '/inv')).toEqual({ ok: true, path: '/home/op/.ssh/id' });
    expect(resolveLocalPath('keys/id', '/home/op', '/inv/dir')).toEqual({ ok: true, path: '/inv/dir/keys/id' });
    expect(resolveLocalPath('/abs/id', '/home/op', '/inv')).toEqual({ ok: true, path: '/abs/id' });
    expect(resolveLocalPath('~bob/id', '/home/op', '/inv')).toMatchObject({ ok: false });
  });
});
