// chooseRelease(): the tarball for the hop is the first (by name) that passed its own checks and
// matches every moving node's OS/arch/OTP; everything else for that version is reported, not fatal.
import { describe, expect, it } from 'vitest';
import { chooseRelease, nodeMismatches, versionInName, type ReleaseFile } from '../../../src/rollout/plan/releases.js';
import type { TarballInfo } from '../../../src/rollout/core/types.js';
import { TARBALL, facts, inventory } from '../../e2e/support/facts.js';

const inv = inventory(2);
const nodes = [facts(inv, 1), facts(inv, 2)];
const tb = (fileName: string, over: Partial<TarballInfo> = {}): ReleaseFile => ({
  fileName,
  path: `/rel/${fileName}`,
  version: versionInName(fileName),
  ok: true,
  tarball: { ...TARBALL, fileName, path: `/rel/${fileName}`, ...over },
});
const bad = (fileName: string, problem: string): ReleaseFile => ({
  fileName,
  path: `/rel/${fileName}`,
  version: versionInName(fileName),
  ok: false,
  problem,
  details: ['evidence'],
});

const RIGHT = tb('emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz');
const ARM = tb('emqx-enterprise-5.10.5-ubuntu22.04-arm64.tar.gz', { arch: 'aarch64-unknown-linux-gnu' });
const EL9 = tb('emqx-enterprise-5.10.5-el9-amd64.tar.gz', { os: 'el9' });
const OTP26 = tb('emqx-enterprise-5.10.5-debian12-amd64.tar.gz', { os: 'ubuntu22.04', otp: '26.2.5-3' });
const CORRUPT = bad('emqx-enterprise-5.10.5-elixir-ubuntu22.04-amd64.tar.gz', 'does not match its sha256 sidecar');
const OTHER = bad('emqx-enterprise-5.10.6-ubuntu22.04-amd64.tar.gz', 'not for this hop');

describe('chooseRelease', () => {
  it.each([
    ['right one among bad ones', [CORRUPT, RIGHT, ARM, OTHER], RIGHT.fileName, [CORRUPT.fileName, ARM.fileName]],
    [
      'only bad ones: none chosen, each reported',
      [CORRUPT, ARM, EL9, OTP26],
      null,
      [CORRUPT.fileName, ARM.fileName, EL9.fileName, OTP26.fileName],
    ],
    ['other versions are not reported as rejected', [OTHER, RIGHT], RIGHT.fileName, []],
    [
      'two usable: the first by name, the second reported',
      [RIGHT, tb('emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz', {})],
      RIGHT.fileName,
      [RIGHT.fileName],
    ],
    ['empty directory', [], null, []],
  ] as const)('%s', (_n, files, chosen, rejected) => {
    const c = chooseRelease('/rel', files as readonly ReleaseFile[], '5.10.5', nodes);
    expect(c.chosen?.fileName ?? null).toBe(chosen);
    expect(c.rejected.map((r) => r.fileName)).toEqual(rejected);
  });

  it('a content version other than the name claims is rejected', () => {
    const liar = tb('emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz', { version: '5.10.4' });
    expect(chooseRelease('/rel', [liar], '5.10.5', nodes).rejected[0].reason).toBe('its content is 5.10.4, not 5.10.5');
  });

  it('the mismatch names each node and what differs', () => {
    expect(nodeMismatches(OTP26.ok ? OTP26.tarball : TARBALL, nodes)).toEqual([
      `${nodes[0].node} runs OTP 27.3.4.2-8, the tarball is built on OTP 26.2.5-3`,
      `${nodes[1].node} runs OTP 27.3.4.2-8, the tarball is built on OTP 26.2.5-3`,
    ]);
    // a node whose BUILD_INFO could not be read does not veto (the node refuses a mismatch itself)
    expect(nodeMismatches(ARM.ok ? ARM.tarball : TARBALL, [facts(inv, 1, { buildInfo: null })])).toEqual([]);
  });
});

describe('versionInName', () => {
  it.each([
    ['emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz', '5.10.5'],
    ['emqx-enterprise-5.10.5-rc.1-el9-arm64.tar.gz', '5.10.5-rc.1'],
    ['emqx-enterprise-5.10.4-g1a2b3c4d-elixir-ubuntu22.04-amd64.tar.gz', '5.10.4-g1a2b3c4d'],
    ['emqx-5.10.5-ubuntu22.04-amd64.tar.gz', null],
    ['notes.tar.gz', null],
  ])('%s → %s', (name, v) => expect(versionInName(name)).toBe(v));
});
