// `status` rows: `staged` is only a yes/no when a --tarball was given to look for.
import { describe, expect, it } from 'vitest';
import { statusRow, fitTable } from '../../../src/cli/commands/status.js';
import { facts, NAMES, unreachable } from '../../rollout/day2Fixtures.js';

describe('statusRow staged', () => {
  it('is null for every node when no --tarball was given (nothing was looked at)', () => {
    expect(statusRow(facts(NAMES[0]), false).staged).toBeNull();
    expect(statusRow(facts(NAMES[0], { stagedSha256: 'a'.repeat(64), stagedSidecar: true }), false).staged).toBeNull();
  });

  it('with --tarball: true when staged, false when not, null when unreachable', () => {
    expect(statusRow(facts(NAMES[0], { stagedSha256: 'a'.repeat(64), stagedSidecar: true }), true).staged).toBe(true);
    expect(statusRow(facts(NAMES[0]), true).staged).toBe(false);
    expect(statusRow(unreachable(NAMES[0]), true).staged).toBeNull();
  });

  it('the rest of the row does not depend on --tarball', () => {
    const { staged: _a, ...withT } = statusRow(facts(NAMES[1]), true);
    const { staged: _b, ...without } = statusRow(facts(NAMES[1]), false);
    expect(without).toEqual(withT);
    expect(without).toMatchObject({
      node: NAMES[1],
      reachable: true,
      running: true,
      version: '5.10.4',
      connections: 10,
    });
  });
});

describe('fitTable', () => {
  const grid = [
    ['node', 'ssh', 'emqx', 'version', 'relup status', 'relup/current', 'plugin', 'cluster', 'conns'],
    [
      'emqx@10.0.0.11',
      'ok',
      'running',
      '5.10.5',
      'hot-upgraded to 5.10.5',
      '5.10.5',
      'emqx_relup-1.0.1 (running)',
      '3/3 running',
      '12',
    ],
  ];
  it('keeps every column when it fits, or when not on a terminal', () => {
    expect(fitTable(grid, 200)[0].split(/\s{2,}/)).toHaveLength(9);
    expect(fitTable(grid, undefined)[0].split(/\s{2,}/)).toHaveLength(9);
  });
  it('drops plugin, then relup/current, then ssh until it fits', () => {
    const w = (cols: number) => fitTable(grid, cols);
    expect(w(100)[0]).not.toContain('plugin');
    expect(w(100)[0]).toContain('relup/current');
    expect(Math.max(...w(100).map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(w(80)[0]).not.toContain('relup/current');
    expect(w(70)[0]).not.toMatch(/\bssh\b/);
  });
});
