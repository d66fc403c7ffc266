// estimateNodes(): a node's duration from this cluster's own journal when there is history, else
// from the inventory (deadline, soak) and the tarball size; historyFromJournal() reads only
// successful steps of earlier upgrade runs.
import { describe, expect, it } from 'vitest';
import {
  ASSUMED,
  estimateNodes,
  formatDuration,
  historyFromJournal,
  median,
} from '../../../src/rollout/plan/estimate.js';

const MB = 1024 * 1024;
const params = { nodes: ['a', 'b'], timeoutSeconds: 300, soakSeconds: 30, noBackup: false, tarballBytes: 200 * MB };
const NONE = historyFromJournal([]);

const step = (runId: string, node: string, s: string, durationMs: number, extra: object = {}) => ({
  kind: 'event',
  runId,
  type: 'step.finished',
  node,
  step: s,
  ok: true,
  durationMs,
  ...extra,
});
const upgradeRun = (runId: string) => ({ kind: 'run.start', runId, command: 'upgrade' });

describe('historyFromJournal', () => {
  it('keeps successful steps of upgrade runs only, skipping the current run and no-op steps', () => {
    const h = historyFromJournal(
      [
        upgradeRun('r1'),
        step('r1', 'a', 'upgrade', 4000),
        step('r1', 'a', 'backup', 9000),
        { ...step('r1', 'a', 'gate-after', 7000), ok: false }, // failed: not a duration of the work
        step('r1', 'a', 'stage', 1, { message: 'already staged (sha256 matches)' }),
        { kind: 'run.start', runId: 'p1', command: 'plan' },
        step('p1', 'a', 'upgrade', 99_000), // not an upgrade run
        step('r9', 'a', 'upgrade', 99_000), // a run whose start is not in the journal
        upgradeRun('now'),
        step('now', 'a', 'upgrade', 99_000),
        'torn' as unknown as object,
      ],
      'now',
    );
    expect([...h.byNode.get('a')!.entries()]).toEqual([
      ['upgrade', [4000]],
      ['backup', [9000]],
    ]);
    expect(h.runs).toEqual(['r1']);
  });
});

describe('estimateNodes', () => {
  it('no history: upgrade takes its deadline, assumed backup/gates, staging from the tarball size', () => {
    const e = estimateNodes(params, NONE);
    const g = ASSUMED.gateRoundMs;
    expect(e.nodes[0].parts).toEqual({
      gateBeforeMs: g,
      backupMs: ASSUMED.backupMs,
      upgradeMs: 300_000,
      gateAfterMs: g,
      soakMs: 30_000 + g,
    });
    expect(e.nodes[0].expectedMs).toBe(g + 30_000 + 300_000 + g + 30_000 + g);
    expect(e.nodes[0].reserveMs).toBe(330_000); // what the engine demands of the window
    expect(e.stagingMs).toBe(10_000); // 200 MiB at 20 MiB/s
    expect(e.totalMs).toBe(10_000 + 2 * e.nodes[0].expectedMs);
    expect(e.source).toBe('inventory');
    expect(e.nodes[0].basis).toMatch(/no history: upgrade ≤ its 300s deadline/);
  });

  it('history: per node medians; a node without its own history takes the cluster median', () => {
    const records = [
      upgradeRun('r1'),
      ...['a', 'b'].flatMap((n) => [
        step('r1', n, 'gate-before', 1000),
        step('r1', n, 'backup', 2000),
        step('r1', n, 'gate-after', 1500),
        step('r1', n, 'stage', 3000),
      ]),
      step('r1', 'a', 'upgrade', 4000),
      upgradeRun('r2'),
      step('r2', 'a', 'upgrade', 6000),
      step('r2', 'a', 'upgrade', 8000),
    ];
    const e = estimateNodes({ ...params, nodes: ['a', 'b', 'c'] }, historyFromJournal(records));
    expect(e.nodes.map((n) => n.parts.upgradeMs)).toEqual([6000, 6000, 6000]); // a: median(4,6,8); b, c: cluster
    expect(e.nodes[0]).toMatchObject({ source: 'history', expectedMs: 1000 + 2000 + 6000 + 1500 + 30_000 + 1500 });
    expect(e.nodes[2].source).toBe('history');
    expect(e.stagingMs).toBe(3000);
    expect(e.source).toBe('history');
    expect(e.nodes[0].basis).toBe('median of 2 earlier run(s) of this cluster');
  });

  it('partial history mixes with the inventory; --no-backup, soak 0 and a staged tarball drop parts', () => {
    const h = historyFromJournal([upgradeRun('r1'), step('r1', 'a', 'upgrade', 5000)]);
    const e = estimateNodes({ ...params, noBackup: true, soakSeconds: 0, staged: new Set(['a']) }, h);
    expect(e.nodes[0].parts).toEqual({
      gateBeforeMs: ASSUMED.gateRoundMs,
      backupMs: 0,
      upgradeMs: 5000,
      gateAfterMs: ASSUMED.gateRoundMs,
      soakMs: 0,
    });
    expect(e.nodes[0].stageMs).toBe(0);
    expect(e.nodes[1].stageMs).toBe(10_000);
    expect(e.nodes[0].source).toBe('inventory');
    expect(e.nodes[0].reserveMs).toBe(300_000);
  });

  it('no tarball (planning without one): no staging', () => {
    expect(estimateNodes({ ...params, tarballBytes: null }, NONE).stagingMs).toBe(0);
  });
});

describe('helpers', () => {
  it.each([
    [[], null],
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 3], // (2+3)/2 rounded
  ])('median %j = %j', (xs, m) => expect(median(xs)).toBe(m));
  it.each([
    [12_000, '12s'],
    [250_000, '4m 10s'],
    [3_900_000, '1h 05m'],
  ])('formatDuration(%d) = %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
});
