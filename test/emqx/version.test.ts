import { describe, expect, it } from 'vitest';
import { classifyHop, compareEmqxVersions, parseEmqxVersion } from '../../src/emqx/version.js';

describe('parseEmqxVersion', () => {
  it.each([
    ['5.10.4', { major: 5, minor: 10, patch: 4 }],
    ['5.10.0-alpha.1', { stage: { name: 'alpha', n: 1 } }],
    ['5.10.4-rc.5', { stage: { name: 'rc', n: 5 } }],
    ['5.10.1-patch.1', { stage: { name: 'patch', n: 1 } }],
    ['5.10.4-g1234abcd', { gitSha: '1234abcd' }],
    ['5.10.4-rc.1-g53ab85b1', { stage: { name: 'rc', n: 1 }, gitSha: '53ab85b1' }],
  ])('%s', (s, expected) => {
    expect(parseEmqxVersion(s)).toMatchObject({ ...expected, raw: s });
  });

  it.each(['e5.10.4', 'v5.10.4', '5.10', '5.10.4.1', '5.10.04', '5.10.4-foo.1', '5.10.4-rc', ' 5.10.4', ''])(
    'rejects %j',
    (s) => {
      expect(parseEmqxVersion(s)).toBeNull();
    },
  );
});

describe('compareEmqxVersions', () => {
  // Ascending, as emqx_release:vsn_compare orders them (term order; "patch" < "rc" as strings).
  const ascending = [
    '5.9.9',
    '5.10.0-alpha.1',
    '5.10.0-alpha.2',
    '5.10.0-beta.1',
    '5.10.0-rc.1',
    '5.10.0-rc.10',
    '5.10.0',
    '5.10.1-patch.1',
    '5.10.1',
    '5.10.4-rc.5',
    '5.10.4',
    '5.10.5',
    '5.10.10',
    '5.11.0',
    '6.0.0',
  ];
  it('sorts the ladder', () => {
    const shuffled = [...ascending].reverse();
    expect(shuffled.sort(compareEmqxVersions)).toEqual(ascending);
  });
  it('patch stage sits between beta and rc', () => {
    expect(compareEmqxVersions('5.10.1-beta.9', '5.10.1-patch.1')).toBe(-1);
    expect(compareEmqxVersions('5.10.1-patch.9', '5.10.1-rc.1')).toBe(-1);
  });
  it('-g<sha> equals the final', () => {
    expect(compareEmqxVersions('5.10.4-g1234abcd', '5.10.4')).toBe(0);
  });
  it('throws on garbage (parse first)', () => {
    expect(() => compareEmqxVersions('x', '5.10.4')).toThrow(TypeError);
  });
});

describe('classifyHop', () => {
  it.each([
    ['5.10.4', '5.10.5', 'patch-hop', 0],
    ['5.10.4', '5.10.6', 'patch-hop', 0],
    ['5.10.4', '5.10.4', 'same', 0],
    ['5.10.5', '5.10.4', 'downgrade', 0],
    ['5.11.0', '5.10.9', 'downgrade', 0],
    ['5.10.4', '5.11.0', 'minor-or-major', 0],
    ['5.10.4', '6.0.0', 'minor-or-major', 0],
    ['5.10.4', 'latest', 'invalid', 0],
    ['e5.10.4', '5.10.5', 'invalid', 0],
    ['5.10.4-g1234abcd', '5.10.4', 'invalid', 0],
    ['5.10.1-patch.1', '5.10.1', 'invalid', 0],
    ['5.10.5-rc.1', '5.10.6', 'patch-hop', 1],
    ['5.10.4', '5.10.5-rc.1', 'patch-hop', 1],
    ['5.10.4-g1234abcd', '5.10.5', 'patch-hop', 1],
    ['5.10.5-rc.1', '5.10.5', 'patch-hop', 1],
  ])('%s → %s is %s (%i warnings)', (from, to, kind, warnings) => {
    const r = classifyHop(from, to);
    expect(r.kind).toBe(kind);
    expect(r.warnings).toHaveLength(warnings);
    expect(r.reason.length).toBeGreaterThan(10);
  });

  it('explains the exact-string catalog match for a pre-release base', () => {
    const r = classifyHop('5.10.5-rc.1', '5.10.6');
    expect(r.warnings[0]).toMatch(/exact string/);
    expect(r.warnings[0]).toContain('5.10.5-rc.1');
  });
  it('minor hop says so and what to do instead', () => {
    expect(classifyHop('5.10.4', '5.11.0').reason).toMatch(/minor.*patch hops only/);
  });
});
