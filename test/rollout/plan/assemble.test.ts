// Schema 2: the tarball plan keeps every field of schema 1 and gains hops, estimate and schedule;
// the plan without a tarball says per node what it can do. Pure, injected clock.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/rollout/upgrade/plan.js';
import { buildSurveyPlan, decoratePlan, type ExtrasInput } from '../../../src/rollout/plan/assemble.js';
import { historyFromJournal } from '../../../src/rollout/plan/estimate.js';
import { preflight } from '../../../src/rollout/upgrade/preflight.js';
import { PLAN_SCHEMA_VERSION } from '../../../src/rollout/core/types.js';
import { TARBALL, facts, inventory } from '../../e2e/support/facts.js';

const inv = inventory(3, { soakSeconds: 30, timeoutSeconds: 300 });
const now = new Date('2026-12-04T22:00:00Z'); // a Friday
const input: ExtrasInput = {
  inv,
  history: historyFromJournal([]),
  now,
  window: { days: ['fri'], startMinutes: 23 * 60, endMinutes: 23 * 60 + 15, timezone: 'UTC' },
  windowMode: 'enforce',
  noBackup: false,
};

describe('decoratePlan', () => {
  it('keeps every schema-1 field and adds hops, estimate and the schedule per node', () => {
    const fs = [facts(inv, 1), facts(inv, 2), facts(inv, 3)];
    const plan = buildPlan(inv, TARBALL, fs, preflight(inv, TARBALL, fs, { force: false }), {
      force: false,
      noBackup: false,
    });
    const d = decoratePlan(plan, fs, input);
    expect(d.schemaVersion).toBe(PLAN_SCHEMA_VERSION);
    expect(PLAN_SCHEMA_VERSION).toBe(2);
    const { hops: _h, estimate: _e, schedule: _s, ...old } = d;
    expect({ ...old, nodes: old.nodes.map(({ hops: _a, estimate: _b, slot: _c, ...n }) => n) }).toEqual(plan);
    // 300 s deadline + 30 s soak = 5.5 min reserve; the 15-min window holds two nodes
    expect(d.nodes.map((n) => [n.slot?.fits, n.slot?.occurrence])).toEqual([
      [true, 0],
      [true, 0],
      [false, 1],
    ]);
    expect(d.schedule?.firstNotFitting).toBe(inv.nodes[2].name);
    expect(d.nodes[0].hops).toMatchObject({ hot: true, targets: ['5.10.5'] });
    expect(d.estimate?.totalMs).toBe(d.estimate!.stagingMs + 3 * d.nodes[0].estimate!.expectedMs);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('skipped and blocked nodes get no slot; a re-gated node only its gates and soak', () => {
    const fs = [facts(inv, 1, {}, '5.10.5'), facts(inv, 2, {}, '5.10.5'), facts(inv, 3, { relupWritable: false })];
    const ungated = new Map([[inv.nodes[1].name, { runId: 'r1', to: '5.10.5' }]]);
    const plan = buildPlan(inv, TARBALL, fs, preflight(inv, TARBALL, fs, { force: false }), {
      force: false,
      noBackup: false,
      ungated,
    });
    const d = decoratePlan(plan, fs, { ...input, window: undefined });
    expect(d.nodes.map((n) => [n.action, n.slot !== undefined])).toEqual([
      ['skip', false],
      ['regate', true],
      ['blocked', false],
    ]);
    const e = d.nodes[1].estimate!;
    expect(e.expectedMs).toBe(e.parts.gateAfterMs + e.parts.soakMs);
    expect(d.nodes[1].slot?.start).toBe(now.toISOString()); // nothing to stage for a re-gate
  });
});

describe('buildSurveyPlan', () => {
  it('--to: per node upgrade / skip / blocked with the reason; blockers are findings', () => {
    const fs = [facts(inv, 1), facts(inv, 2, {}, '5.10.5'), facts(inv, 3, { supportedPaths: [] })];
    const p = buildSurveyPlan(fs, '5.10.5', input);
    expect(p).toMatchObject({
      schemaVersion: 2,
      tarball: null,
      fingerprint: null,
      to: '5.10.5',
      from: '5.10.4',
      canProceed: false,
    });
    expect(p.nodes.map((n) => n.action)).toEqual(['upgrade', 'skip', 'blocked']);
    expect(p.findings.map((f) => `${f.code}@${f.node}`)).toEqual([`plugin-empty-catalog@${inv.nodes[2].name}`]);
    expect(p.nodes.filter((n) => n.slot).map((n) => n.name)).toEqual([inv.nodes[0].name]); // only hot, moving nodes are scheduled
  });

  it('no --to: nothing to schedule, exit 0 when every node answered', () => {
    const p = buildSurveyPlan([facts(inv, 1), facts(inv, 2), facts(inv, 3)], null, input);
    expect(p.canProceed).toBe(true);
    expect(
      p.nodes.every((n) => n.action === 'skip' && /no --to given; lists 5\.10\.4 -> 5\.10\.5/.test(n.reason ?? '')),
    ).toBe(true);
    expect(p.schedule).toBeUndefined();
    expect(p.hops?.common).toEqual(['5.10.5']);
  });
});
