import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shq, shqAll } from '../../src/util/shellQuote.js';

// Round-trip through a real POSIX shell (dash on Debian, like the nodes' /bin/sh).
const echoBack = (s: string) => execFileSync('/bin/sh', ['-c', `printf %s ${shq(s)}`], { encoding: 'utf8' });

describe('shq', () => {
  it.each([
    '',
    'plain',
    'with space',
    "it's",
    `"double"`,
    '$(touch /tmp/pwned)',
    '`id`',
    '$HOME',
    'a\nb',
    '*',
    '\\',
    "''",
    '-n',
    'ü→✓',
  ])('keeps %j literal', (s) => {
    expect(echoBack(s)).toBe(s);
  });

  it('quotes the way POSIX needs', () => {
    expect(shq("it's")).toBe(`'it'\\''s'`);
    expect(shq('')).toBe(`''`);
    expect(shqAll(['sha256sum', '--', '/a b'])).toBe(`'sha256sum' '--' '/a b'`);
  });

  it('refuses NUL bytes instead of truncating', () => {
    expect(() => shq('a\0b')).toThrow(/NUL/);
  });
});
