// Fault matrix, part 2: the controller SIGKILLed at every step boundary, then re-run; sshd killed
// during an upload. Rows: cases.ts (RELIABILITY_CASES=id,… selects some). Judged by harness.ts;
// published by report.ts.
import { describe, expect, it } from 'vitest';
import { selected } from './cases.js';
import { runCase } from './harness.js';

const mine = selected().filter((x) => Boolean(x.kill || x.drive));

describe('fault matrix: controller crashes and connection faults', () => {
  // A selection may leave this file no rows; a file without tests fails, so this one always runs.
  it('the selection is known', () => expect(selected().length).toBeGreaterThan(0));
  for (const k of mine) {
    it(`${k.id}: ${k.fault}`, async () => {
      const r = await runCase(k);
      expect(r.problems, r.problems.join('\n')).toEqual([]);
    }, 300_000);
  }
});
