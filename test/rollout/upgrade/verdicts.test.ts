import { describe, expect, it } from 'vitest';
import { parseRelupUpgrade } from '../../../src/emqx/parse/relupUpgrade.js';
import type { InFlight } from '../../../src/rollout/state/resume.js';
import {
  definiteVerdict,
  failureOfFailedHop,
  hopApplied,
  judgeInFlight,
  parseBackupLine,
  type InFlightVerdict,
} from '../../../src/rollout/upgrade/verdicts.js';
import { facts, inventory, upgradedFacts } from '../../e2e/support/facts.js';

const inv = inventory(1);
const fl: InFlight = {
  node: inv.nodes[0].name,
  runId: 'r1',
  from: '5.10.4',
  to: '5.10.5',
  logRowsBefore: 0,
  connectionsBefore: 10,
};
const row = upgradedFacts(inv, 1).logs![0];

describe('parseBackupLine', () => {
  it.each([
    [
      '123456 /var/backups/emqx/emqx-backup-n1-5.10.4-20261201T000000Z.tar.gz\n',
      { bytes: 123456, path: '/var/backups/emqx/emqx-backup-n1-5.10.4-20261201T000000Z.tar.gz' },
    ],
    ['tar: log/emqx.log: file changed as we read it\n42 /b/x.tar.gz\n', { bytes: 42, path: '/b/x.tar.gz' }],
    ['42 relative/x.tar.gz\n', null], // never a relative path
    ['', null],
    ['backup archive failed verification\n', null],
  ])('%j → %j', (stdout, want) => {
    expect(parseBackupLine(stdout)).toEqual(want);
  });
});

describe('relup upgrade verdicts', () => {
  const v = (stdout: string, exitCode: number | null = 0, stderr = '') => parseRelupUpgrade(stdout, stderr, exitCode);
  const refused = v('upgrade failed, reason: #{stage => check_and_unpack,err_type => sha256_mismatch}\n');
  const performed = v('upgrade failed, reason: #{stage => perform_upgrade,err_type => exception}\n');
  const noStage = v('upgrade failed, reason: #{err_type => exception}\n');

  it.each([
    ['complete', v('upgrade complete\n'), true, true],
    ['refused in check_and_unpack', refused, false, true],
    ['failed in perform_upgrade', performed, true, true],
    ['failed with no stage (unknown: may have changed code)', noStage, true, true],
    ['RPC to the node failed', v('RPC to emqx@127.0.0.1 failed: nodedown\n', 1), false, true],
    ['unrecognised output', v('something else\n', 0), false, false],
  ] as const)('%s: applied %s, definite %s', (_name, verdict, applied, definite) => {
    expect(hopApplied(verdict)).toBe(applied);
    expect(definiteVerdict(verdict, false)).toBe(definite);
    expect(definiteVerdict(verdict, true)).toBe(false); // a deadline never closes the journal entry
  });

  it.each([
    ['check_and_unpack', { kind: 'refused', errType: 'e' }],
    ['perform_upgrade', { kind: 'applied-no-marker', stage: 'perform_upgrade', backup: '/b' }],
    ['permanent_upgrade', { kind: 'applied-no-marker', stage: 'permanent_upgrade', backup: '/b' }],
    [undefined, { kind: 'unknown-state' }],
  ])('a failure at stage %s is %j', (stage, want) => {
    expect(failureOfFailedHop(stage, 'e', '/b')).toEqual(want);
  });
});

describe('judgeInFlight (a hop begun by a dead controller)', () => {
  const cases: ReadonlyArray<[string, Parameters<typeof facts>[2], InFlightVerdict]> = [
    ['in-progress', { relupStatus: { kind: 'in-progress' }, logs: [row] }, 'settling'],
    [
      'landed: target, marker, hot-upgraded',
      { version: '5.10.5', marker: '5.10.5', relupStatus: { kind: 'hot-upgraded', target: '5.10.5' }, logs: [row] },
      'complete',
    ],
    [
      'torn read: hot-upgraded, ctl still old',
      { relupStatus: { kind: 'hot-upgraded', target: '5.10.5' }, logs: [row] },
      'settling',
    ],
    [
      'torn read: new version, marker not yet written',
      { version: '5.10.5', marker: null, relupStatus: { kind: 'hot-upgraded', target: '5.10.5' }, logs: [row] },
      'settling',
    ],
    ['never reached the handler: idle, old, no new row', {}, 'never-started'],
    ['idle and old but a new log row: the handler ran', { logs: [row] }, 'unknown'],
    ['down', { version: null, reachable: true, relupStatus: { kind: 'hot-upgraded', target: '5.10.5' } }, 'unknown'],
    [
      'hot-upgraded to another version',
      { version: '5.10.6', marker: '5.10.6', relupStatus: { kind: 'hot-upgraded', target: '5.10.6' } },
      'unknown',
    ],
    ['marker left, status idle (restarted since)', { marker: '5.10.5' }, 'unknown'],
  ];
  it.each(cases)('%s → %s', (_name, over, want) => {
    expect(judgeInFlight(facts(inv, 1, over), fl)).toBe(want);
  });
});
