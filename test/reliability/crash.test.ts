// Fault matrix, part 2: the controller SIGKILLed at every step boundary, then re-run; and faults of
// the connection itself. Rows: cases.ts. Judged by harness.ts; published by report.ts.
import { describe, expect, it } from 'vitest';
import { CASES } from './cases.js';
import { runCase } from './harness.js';

describe('fault matrix: controller crashes and connection faults', () => {
  for (const k of CASES.filter((x) => x.kill || x.drive)) {
    it(`${k.id}: ${k.fault}`, async () => {
      const r = await runCase(k);
      expect(r.problems, r.problems.join('\n')).toEqual([]);
    }, 240_000);
  }
});
