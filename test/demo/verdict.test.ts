import { describe, expect, it } from 'vitest';
import { demoVerdict, verdictLines, type VerdictInput } from '../../src/demo/verdict.js';

const good: VerdictInput = {
  nodes: 3,
  upgraded: 3,
  from: '5.10.4',
  to: '5.10.5',
  durationMs: 14_230,
  outcome: 'done',
  traffic: { clients: 30, connected: 30, disconnects: 0, published: 2130, received: 2130, lost: 0 },
};

describe('demoVerdict', () => {
  it('says it in one line when everything held', () => {
    const v = demoVerdict(good);
    expect(v.ok).toBe(true);
    expect(v.problems).toEqual([]);
    expect(v.line).toBe(
      '✓ 3/3 nodes hot-upgraded 5.10.4 → 5.10.5 in 14.2s — 30 MQTT clients stayed connected, 0 disconnects, 2,130/2,130 messages delivered, 0 lost',
    );
  });

  it('fails on a disconnect, a lost message, a client still down, a node not upgraded, or a failed run', () => {
    const cases: [Partial<VerdictInput> & { traffic?: VerdictInput['traffic'] }, RegExp][] = [
      [{ traffic: { ...good.traffic, disconnects: 1 } }, /1 MQTT disconnect during a hot upgrade/],
      [{ traffic: { ...good.traffic, lost: 4, received: 2126 } }, /4 acknowledged messages never reached/],
      [{ traffic: { ...good.traffic, connected: 29 } }, /1\/30 MQTT clients not connected/],
      [{ upgraded: 2 }, /2\/3 nodes upgraded/],
      [{ outcome: 'failed' }, /did not finish/],
      [{ traffic: { ...good.traffic, published: 0, received: 0 } }, /no MQTT message/],
    ];
    for (const [change, why] of cases) {
      const v = demoVerdict({ ...good, ...change });
      expect(v.ok).toBe(false);
      expect(v.line.startsWith('✗ ')).toBe(true);
      expect(v.problems.join('; ')).toMatch(why);
    }
    expect(demoVerdict({ ...good, traffic: { ...good.traffic, connected: 29, disconnects: 1 } }).line).toContain(
      '29/30 MQTT clients connected, 1 disconnect,',
    );
  });

  it('splits at the dash when the terminal is narrower than the line', () => {
    const { line } = demoVerdict(good);
    expect(verdictLines(line, 200)).toEqual([line]);
    expect(verdictLines(line, 120)).toEqual([
      '✓ 3/3 nodes hot-upgraded 5.10.4 → 5.10.5 in 14.2s',
      '  30 MQTT clients stayed connected, 0 disconnects, 2,130/2,130 messages delivered, 0 lost',
    ]);
  });
});
