// Fault matrix, part 1: every simulator fault (caught at preflight, or during/after the hop) and a
// command that never returns. Rows: cases.ts. Judged by harness.ts; published by report.ts.
import { describe, expect, it } from 'vitest';
import { CASES } from './cases.js';
import { runCase } from './harness.js';

describe('fault matrix: simulator faults and deadlines', () => {
  for (const k of CASES.filter((x) => !x.kill && !x.drive)) {
    it(`${k.id}: ${k.fault}`, async () => {
      const r = await runCase(k);
      expect(r.problems, r.problems.join('\n')).toEqual([]);
    }, 180_000);
  }
});
