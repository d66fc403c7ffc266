// surveyHops(): per node its version and listed hops, the hops every node can take, and for a
// target whether each node has a hot hop there — and if not, why and what to do instead.
import { describe, expect, it } from 'vitest';
import { findChain, surveyHops, type NoHopCode } from '../../../src/rollout/plan/hops.js';
import type { NodeFacts } from '../../../src/rollout/core/facts.js';
import { facts, inventory } from '../../e2e/support/facts.js';
import { unreachableFacts } from '../../../src/rollout/observe/node.js';

const inv = inventory(3);
const plugin = (relVsn: string, runningStatus = 'running') => [
  { name: 'emqx_relup', relVsn, runningStatus, configStatus: 'enabled' },
];
const paths = (...ps: string[]) => ps.map((p) => ({ from: p.split(' -> ')[0], to: p.split(' -> ')[1] }));

type Row = [string, NodeFacts, string, boolean, NoHopCode | undefined, string | undefined];

describe('surveyHops: one node, one target', () => {
  const rows: Row[] = [
    ['listed patch hop', facts(inv, 1), '5.10.5', true, undefined, undefined],
    ['already at target', facts(inv, 1, {}, '5.10.5'), '5.10.5', true, undefined, undefined],
    ['minor hop', facts(inv, 1), '5.11.0', false, 'hop-not-patch', 'minor-or-major'],
    ['major hop', facts(inv, 1), '6.0.0', false, 'hop-not-patch', 'minor-or-major'],
    ['downgrade', facts(inv, 1), '5.10.3', false, 'hop-not-patch', 'downgrade'],
    [
      '-g<sha> build of the same release',
      facts(inv, 1, {}, '5.10.4-g1a2b3c4d'),
      '5.10.4',
      false,
      'hop-not-patch',
      'invalid',
    ],
    [
      'pre-release running, catalog lists the final',
      facts(inv, 1, { supportedPaths: paths('5.10.4 -> 5.10.5') }, '5.10.5-rc.1'),
      '5.10.6',
      false,
      'hop-not-in-catalog',
      undefined,
    ],
    ['patch hop not in catalog', facts(inv, 1), '5.10.6', false, 'hop-not-in-catalog', undefined],
    [
      'plugin 1.0.0: empty catalog',
      facts(inv, 1, { supportedPaths: [], plugins: plugin('1.0.0') }),
      '5.10.5',
      false,
      'plugin-empty-catalog',
      undefined,
    ],
    [
      'plugin missing',
      facts(inv, 1, { supportedPaths: null, supportedPathsKind: 'not-registered', plugins: [] }),
      '5.10.5',
      false,
      'plugin-missing',
      undefined,
    ],
    [
      'plugin stopped',
      facts(inv, 1, {
        supportedPaths: null,
        supportedPathsKind: 'not-registered',
        plugins: plugin('1.0.1', 'stopped'),
      }),
      '5.10.5',
      false,
      'plugin-not-running',
      undefined,
    ],
    [
      'paths unreadable',
      facts(inv, 1, { supportedPaths: null, supportedPathsKind: 'unrecognised' }),
      '5.10.5',
      false,
      'supported-paths-unknown',
      undefined,
    ],
    [
      'node down',
      facts(inv, 1, {
        version: null,
        ctl: { kind: 'down', node: 'emqx@10.0.0.11', message: 'Node emqx@10.0.0.11 not responding to pings.' },
      }),
      '5.10.5',
      false,
      'node-not-running',
      undefined,
    ],
    [
      'unreachable',
      unreachableFacts(inv.nodes[0], 'connect ECONNREFUSED', [], 'node-unreachable'),
      '5.10.5',
      false,
      'node-unreachable',
      undefined,
    ],
    [
      'chain only (5.10.4 -> 5.10.5 -> 5.10.6)',
      facts(inv, 1, { supportedPaths: paths('5.10.5 -> 5.10.6', '5.10.4 -> 5.10.5') }),
      '5.10.6',
      false,
      'hop-chain-only',
      undefined,
    ],
  ];
  it.each(rows)('%s', (_name, f, to, hot, code, kind) => {
    const s = surveyHops([f], to);
    const n = s.nodes[0];
    expect(n.hot).toBe(hot);
    expect(n.noHop?.code).toBe(code);
    expect(n.noHop?.kind).toBe(kind);
    if (!hot) {
      expect(n.noHop!.message).toContain(f.node); // names the node
      expect(n.noHop!.instead.length).toBeGreaterThan(0); // and says what to do instead
    }
    expect(s.allHot).toBe(hot);
  });

  it('plugin 1.0.0 says which plugin ships the hop', () => {
    const n = surveyHops([facts(inv, 1, { supportedPaths: [], plugins: plugin('1.0.0') })], '5.10.5').nodes[0];
    expect(n.noHop!.message).toContain('emqx_relup-1.0.0');
    expect(n.noHop!.instead[0]).toContain('1.0.1');
  });

  it('a minor hop points at a rolling restart and the hops the node does list', () => {
    const n = surveyHops([facts(inv, 1)], '5.11.0').nodes[0];
    expect(n.noHop!.instead.join(' ')).toMatch(/rolling restart/);
    expect(n.noHop!.instead.join(' ')).toContain('5.10.4 -> 5.10.5');
  });

  it('a chain is shown with the restart, flagged unverified, and only its first hop is next', () => {
    const f = facts(inv, 1, { supportedPaths: paths('5.10.5 -> 5.10.6', '5.10.4 -> 5.10.5') });
    const s = surveyHops([f], '5.10.6');
    expect(s.nodes[0].chain).toEqual({
      versions: ['5.10.4', '5.10.5', '5.10.6'],
      verified: false,
      note: expect.stringMatching(/unverified/),
    });
    expect(s.nodes[0].noHop!.instead[0]).toMatch(/upgrade to 5\.10\.5 first .*restart/);
    expect(s.nextHop).toBe('5.10.5');
    expect(s.allHot).toBe(false);
  });
});

describe('surveyHops: a cluster', () => {
  // node 1: plugin lists two hops from 5.10.4; node 2: only 5.10.4 -> 5.10.5; node 3: plugin 1.0.0
  const n1 = facts(inv, 1, { supportedPaths: paths('5.10.4 -> 5.10.6', '5.10.4 -> 5.10.5') });
  const n2 = facts(inv, 2);
  const n3 = facts(inv, 3, { supportedPaths: [], plugins: plugin('1.0.0') });

  it('without a target: versions, listed targets, the intersection; every node answered', () => {
    const s = surveyHops([n1, n2], null);
    expect(s.nodes.map((n) => [n.node, n.version, n.targets])).toEqual([
      [n1.node, '5.10.4', ['5.10.5', '5.10.6']],
      [n2.node, '5.10.4', ['5.10.5']],
    ]);
    expect(s.common).toEqual(['5.10.5']);
    expect(s.nodes.every((n) => n.noHop === undefined)).toBe(true);
    expect(s.nextHop).toBeNull();
  });

  it('a node with an empty catalog empties the intersection', () => {
    expect(surveyHops([n1, n2, n3], null).common).toEqual([]);
  });

  it('--to 5.10.5: node 3 has none (plugin); --to 5.10.6: node 2 lacks it in its catalog', () => {
    const a = surveyHops([n1, n2, n3], '5.10.5');
    expect(a.nodes.map((n) => n.noHop?.code ?? 'hot')).toEqual(['hot', 'hot', 'plugin-empty-catalog']);
    expect(a.allHot).toBe(false);
    const b = surveyHops([n1, n2], '5.10.6');
    expect(b.nodes.map((n) => n.noHop?.code ?? 'hot')).toEqual(['hot', 'hop-not-in-catalog']);
    expect(b.nodes[1].noHop!.instead).toContain('or hop to 5.10.5 instead (listed from 5.10.4)');
  });

  it('nodes already at the target count as able; a half-upgraded cluster can finish', () => {
    const s = surveyHops([facts(inv, 1, {}, '5.10.5'), n2], '5.10.5');
    expect(s.allHot).toBe(true);
    expect(s.moving).toEqual([n2.node]);
    expect(s.nextHop).toBe('5.10.5');
    expect(surveyHops([facts(inv, 1, {}, '5.10.5'), facts(inv, 2, {}, '5.10.5')], '5.10.5').nextHop).toBeNull();
  });

  it('an unreachable node: no intersection, a node problem even without a target', () => {
    const s = surveyHops([n1, unreachableFacts(inv.nodes[1], 'timed out', [], 'node-unreachable')], null);
    expect(s.common).toEqual([]);
    expect(s.nodes[1].noHop?.code).toBe('node-unreachable');
  });
});

describe('findChain', () => {
  const cat = paths('5.10.4 -> 5.10.5', '5.10.5 -> 5.10.6', '5.10.6 -> 5.10.7', '5.10.4 -> 5.10.6');
  it.each([
    ['5.10.4', '5.10.7', ['5.10.4', '5.10.6', '5.10.7']], // shortest
    ['5.10.5', '5.10.7', ['5.10.5', '5.10.6', '5.10.7']],
    ['5.10.4', '5.10.6', null], // direct: not a chain
    ['5.10.7', '5.10.4', null],
    ['5.10.4', '5.10.9', null],
  ] as const)('%s → %s', (from, to, want) => {
    expect(findChain(cat, from, to)).toEqual(want);
  });
});
