import { describe, expect, it } from 'vitest';
import { parseRelupLogs } from '../../../src/emqx/parse/relupLogs.js';
import { selectNode, timeline } from '../../../src/rollout/logs/engine.js';
import { renderTimeline } from '../../../src/ui/timeline.js';
import { BadInputError } from '../../../src/util/errors.js';
import { NAMES, inventory } from '../day2Fixtures.js';

const [A, B, C] = NAMES;

// Rows as a real node prints them (facts §1.7).
const nodeA = [
  'started=2026-06-20T10:11:12.345+00:00 finished=2026-06-20T10:11:20.468+00:00 5.10.4 ->  status=finished result=#{details => <<"#{actual => <<\\"3f1c\\">>,stage => check_and_unpack}">>,err_type => sha256_mismatch}',
  'started=2026-06-20T10:12:12.345+00:00 finished=2026-06-20T10:12:27.345+00:00 5.10.4 -> 5.10.5 status=finished result=success',
].join('\n');
// Node B logs in UTC+2: its 12:11:30+02:00 is 10:11:30Z, between A's two rows.
const nodeB =
  'started=2026-06-20T12:11:30.000+02:00 finished=2026-06-20T12:11:40.000+02:00 5.10.4 -> 5.10.5 status=finished result=success\n';
const nodeC = "started=2026-06-20T10:13:12.345+00:00 finished= 5.10.4 ->  status='in-progress' result=<<>>\n";

function rows(text: string) {
  const p = parseRelupLogs(text, '', 0);
  if (p.kind !== 'logs') throw new Error(`fixture did not parse: ${p.kind}`);
  return p.rows;
}

describe('timeline', () => {
  const t = timeline([
    { node: A, rows: rows(nodeA) },
    { node: B, rows: rows(nodeB) },
    { node: C, rows: rows(nodeC) },
  ]);

  it('merges all nodes into one list sorted by start instant (time zones respected)', () => {
    expect(t.map((r) => [r.node, r.started])).toEqual([
      [A, '2026-06-20T10:11:12.345+00:00'],
      [B, '2026-06-20T12:11:30.000+02:00'],
      [A, '2026-06-20T10:12:12.345+00:00'],
      [C, '2026-06-20T10:13:12.345+00:00'],
    ]);
  });

  it('keeps from/to, status and the result or err_type of each row', () => {
    expect(t[0]).toMatchObject({
      from: '5.10.4',
      to: null,
      status: 'finished',
      result: 'error',
      errType: 'sha256_mismatch',
    });
    expect(t[2]).toMatchObject({ to: '5.10.5', result: 'success', finished: '2026-06-20T10:12:27.345+00:00' });
    expect(t[3]).toMatchObject({ status: 'in-progress', finished: null, result: 'none' });
  });

  it('renders one aligned table: node, started, finished, from → to, status, result', () => {
    const lines = renderTimeline(t).split('\n');
    expect(lines[0]).toMatch(/^node\s+started\s+finished\s+from → to\s+status\s+result$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${A}\\s+2026-06-20T10:11:12.345\\+00:00\\s+2026-06-20T10:11:20.468\\+00:00\\s+5.10.4 → \\?\\s+finished\\s+error: sha256_mismatch$`,
      ),
    );
    expect(lines[4]).toMatch(/in-progress\s+none$/);
    expect(lines).toHaveLength(5);
  });

  it("equal instants keep inventory order, then each node's own order", () => {
    const same =
      'started=2026-06-20T10:00:00.000+00:00 finished=2026-06-20T10:00:01.000+00:00 5.10.4 -> 5.10.5 status=finished result=success\n';
    expect(
      timeline([
        { node: B, rows: rows(same) },
        { node: A, rows: rows(same) },
      ]).map((r) => r.node),
    ).toEqual([B, A]);
  });
});

describe('selectNode', () => {
  it('returns the node, or a bad-input error listing the known names', () => {
    const inv = inventory();
    expect(selectNode(inv, B).name).toBe(B);
    let err: unknown;
    try {
      selectNode(inv, 'emqx@10.0.0.99');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadInputError);
    const long = (err as BadInputError).long();
    for (const n of NAMES) expect(long).toContain(n);
    expect(long).toContain('emqx@10.0.0.99');
  });
});
