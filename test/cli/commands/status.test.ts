// `status` rows: `staged` is only a yes/no when a --tarball was given to look for.
import { describe, expect, it } from 'vitest';
import { statusRow } from '../../../src/cli/commands/status.js';
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
    expect(without).toMatchObject({ node: NAMES[1], reachable: true, running: true, version: '5.10.4', connections: 10 });
  });
});
