// Empty-output `relup upgrade` (exit 1): the classes of facts A2 from the read-only re-observation.
import { describe, expect, it } from 'vitest';
import { classifyEmptyUpgrade, type EmptyFailureObservation } from '../../../src/rollout/upgrade/emptyFailure.js';

const base: EmptyFailureObservation = {
  version: '5.10.4',
  marker: null,
  relupStatus: 'in-progress',
  troubleshootBefore: 0,
  troubleshootAfter: 0,
  connectionsBefore: 100,
  connectionsAfter: 100,
  uptimeBefore: null,
  uptimeAfter: null,
  elapsedMs: 5000,
};
const k = (o: Partial<EmptyFailureObservation>) => classifyEmptyUpgrade({ ...base, ...o }, '5.10.4', '5.10.5').kind;

describe('classifyEmptyUpgrade', () => {
  it.each<[string, Partial<EmptyFailureObservation>, string]>([
    [
      'A: target version, no marker (marker write failed)',
      { version: '5.10.5', relupStatus: 'in-progress' },
      'applied-no-marker',
    ],
    ['A: 0-byte marker left behind', { version: '5.10.5', marker: '' }, 'applied-no-marker'],
    ['A: 0-byte marker, node no longer answers', { version: null, marker: '' }, 'applied-no-marker'],
    ['B: old version, no troubleshoot file, clients kept', {}, 'deploy-failed'],
    ['C: old version, a new troubleshoot file', { troubleshootAfter: 1 }, 'vm-restarted'],
    [
      'C: old version, connections collapsed (failed while preparing: no file)',
      { connectionsAfter: 3 },
      'vm-restarted',
    ],
    ['too few clients to tell B from C', { connectionsBefore: 2, connectionsAfter: 2 }, 'unknown'],
    ['troubleshoot count unreadable', { troubleshootAfter: null }, 'unknown'],
    ['node down', { version: null }, 'unknown'],
    ['target and marker: landed after all', { version: '5.10.5', marker: '5.10.5' }, 'unknown'],
    ['a third version', { version: '5.10.3' }, 'unknown'],
    ['the emulator restarted (uptime reset)', { uptimeBefore: 3600, uptimeAfter: 4 }, 'unknown'],
  ])('%s', (_, o, want) => expect(k(o)).toBe(want));

  it('says why, with the numbers', () => {
    expect(classifyEmptyUpgrade({ ...base, connectionsAfter: 3 }, '5.10.4', '5.10.5').why).toContain(
      'fell from 100 to 3',
    );
    expect(classifyEmptyUpgrade({ ...base, version: '5.10.5' }, '5.10.4', '5.10.5').why).toContain(
      'relup/current is absent',
    );
  });
});
