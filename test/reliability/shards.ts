// The matrix runs as 4 test files (shard-1..4.test.ts) so that vitest's 2 workers stay busy until
// the end: each case gets a weight (its rough cost in seconds on a quiet 2-core machine) and the
// heaviest goes first into the lightest shard (LPT). Each file runs its shard's cases in order.
import { afterAll, describe, expect, it } from 'vitest';
import { selected } from './cases.js';
import { releaseSpareCluster, runCase, sharesCluster, type ReliabilityCase } from './harness.js';

export const SHARDS = 4;

/** Rough seconds a case costs: a cluster and a run, more for re-runs, kills, preparations, big tarballs. */
export function weight(k: ReliabilityCase): number {
  return (
    8 +
    (k.rerun ? 10 : 0) +
    (k.kill ? 4 : 0) +
    (k.prepare ? 12 : 0) +
    (k.drive ? 6 : 0) +
    (k.padBytes ?? 0) / (2 * 1024 * 1024) +
    (k.soakSeconds ?? 0) * 3
  );
}

/** Cases that share one cluster (harness.ts sharesCluster) go together, as one unit; the rest one by one. */
export function shardOf(cases: readonly ReliabilityCase[], n: number): ReliabilityCase[][] {
  const bins = Array.from({ length: n }, () => ({ load: 0, cases: [] as ReliabilityCase[] }));
  const shared = cases.filter(sharesCluster);
  const units: Array<{ cases: ReliabilityCase[]; load: number }> = [
    // a reused cluster saves its start and stop: ~4 s a case
    ...(shared.length ? [{ cases: shared, load: shared.reduce((t, k) => t + weight(k) - 4, 4) }] : []),
    ...cases.filter((k) => !sharesCluster(k)).map((k) => ({ cases: [k], load: weight(k) })),
  ];
  for (const u of units.sort((a, b) => b.load - a.load)) {
    const bin = bins.reduce((m, b) => (b.load < m.load ? b : m));
    bin.cases.push(...u.cases);
    bin.load += u.load;
  }
  return bins.map((b) => b.cases);
}

/** The body of shard-<i>.test.ts (1-based). */
export function runShard(i: number): void {
  const mine = shardOf(selected(), SHARDS)[i - 1];
  describe(`fault matrix, shard ${i}/${SHARDS}`, () => {
    afterAll(releaseSpareCluster, 60_000);
    // A selection may leave this shard no rows; a file without tests fails, so this one always runs.
    it('the selection is known', () => expect(selected().length).toBeGreaterThan(0));
    for (const k of mine) {
      it(`${k.id}: ${k.fault}`, async () => {
        const r = await runCase(k);
        expect(r.problems, r.problems.join('\n')).toEqual([]);
      }, 300_000);
    }
  });
}
