// Gate judgement with real numbers: pure functions from facts (and command results) to pass/fail.
import { describe, expect, it } from 'vitest';
import {
  judgeAfter,
  judgeBefore,
  judgeCluster,
  judgeConnections,
  renderTemplate,
} from '../../../src/rollout/upgrade/gates.js';
import { exec, facts, inventory, upgradedFacts } from '../../e2e/support/facts.js';

const inv = inventory(3);
const N = inv.nodes.map((n) => n.name);
const SHA = 'a'.repeat(64);
const verdicts = (gs: ReadonlyArray<{ gate: string; ok: boolean }>): string[] =>
  gs.map((g) => `${g.gate}:${g.ok ? 'ok' : 'FAIL'}`);

describe('judgeConnections (minConnectionRatio 0.5, minConnectionsJudged 10)', () => {
  const G = { minConnectionRatio: 0.5, minConnectionsJudged: 10 };
  // [before, after, pass, why]
  const table: Array<[number | null, number | null, boolean, string]> = [
    [1000, 500, true, 'ceil(1000 × 0.5) = 500: exactly the minimum passes'],
    [1000, 499, false, 'one below the minimum'],
    [1000, 1000, true, 'all kept'],
    [1000, 1200, true, 'clients reconnecting from elsewhere'],
    [1000, 0, false, 'total loss'],
    [11, 6, true, 'ceil(5.5) = 6'],
    [11, 5, false, 'ratio'],
    [10, 5, true, '10 is the smallest sample judged by ratio'],
    [10, 4, false, 'ratio at the floor'],
    [9, 1, true, 'below the floor a partial drop is noise'],
    [9, 0, false, 'below the floor, but every connection lost'],
    [5, 0, false, 'the issue: 5 → 0 on a small node'],
    [1, 0, false, 'one connection, lost'],
    [1, 1, true, 'one kept'],
    [0, 0, true, 'nothing to lose'],
    [0, 3, true, 'new clients'],
    [null, 0, true, 'before unknown: nothing to compare against'],
    [1000, null, false, 'after unreadable: fail closed'],
    [5, null, false, 'after unreadable below the floor: fail closed'],
  ];
  for (const [before, after, ok, why] of table) {
    it(`${before} → ${after}: ${ok ? 'pass' : 'fail'} (${why})`, () => {
      const g = judgeConnections(G, before, after);
      expect(g.gate).toBe('connections');
      expect(g.ok).toBe(ok);
      if (!ok && after === 0) expect(g.message).toBe(`every connection lost: ${before} → 0`);
      else if (!ok && after !== null)
        expect(g.message).toContain(`${before} → ${after} (minimum ${Math.ceil(before! * 0.5)}, ratio 0.5)`);
    });
  }
  it('ratio 0.9: 1000 → 899 fails, 900 passes', () => {
    expect(judgeConnections({ ...G, minConnectionRatio: 0.9 }, 1000, 899).ok).toBe(false);
    expect(judgeConnections({ ...G, minConnectionRatio: 0.9 }, 1000, 900).ok).toBe(true);
  });
  it('the floor moves the ratio rule, never the total-loss rule', () => {
    // floor 3: 4 → 1 is judged (ceil(2) = 2 needed) and fails; floor 10 lets it pass.
    expect(judgeConnections({ ...G, minConnectionsJudged: 3 }, 4, 1).ok).toBe(false);
    expect(judgeConnections(G, 4, 1).ok).toBe(true);
    // ratio 0 and a floor above the count: losing all still fails.
    expect(judgeConnections({ minConnectionRatio: 0, minConnectionsJudged: 1_000_000 }, 50, 0).ok).toBe(false);
  });
});

describe('judgeBefore', () => {
  const expectOk = { from: '5.10.4', sha256: SHA };
  const staged = { stagedSha256: SHA, stagedSidecar: true };
  it('all pass on a healthy, staged node', () => {
    expect(verdicts(judgeBefore(inv, facts(inv, 2, staged), expectOk))).toEqual([
      'version:ok',
      'relup-status:ok',
      'staged:ok',
      'cluster:ok',
    ]);
  });
  const table: Array<[string, Parameters<typeof facts>[2], string, string?]> = [
    ['other version', { ...staged }, 'version', '5.10.3'],
    [
      'node down',
      { ...staged, ctl: { kind: 'down', node: N[1], message: 'not responding to pings.' }, version: null },
      'version',
    ],
    ['relup in progress', { ...staged, relupStatus: { kind: 'in-progress' } }, 'relup-status'],
    ['staged tarball missing', {}, 'staged'],
    ['staged sha differs', { stagedSha256: 'b'.repeat(64), stagedSidecar: true }, 'staged'],
    ['sidecar missing', { stagedSha256: SHA, stagedSidecar: false }, 'staged'],
    [
      'a node stopped in cluster status',
      { ...staged, cluster: { kind: 'cluster', running: [N[0], N[1]], stopped: [N[2]] } },
      'cluster',
    ],
  ];
  for (const [title, over, failing, version] of table) {
    it(`${title} fails exactly the ${failing} gate`, () => {
      const gs = judgeBefore(inv, facts(inv, 2, over, version), expectOk);
      expect(gs.filter((g) => !g.ok).map((g) => g.gate)).toEqual([failing]);
    });
  }
  it('staged messages say what is wrong', () => {
    expect(judgeBefore(inv, facts(inv, 2), expectOk)[2].message).toBe('staged tarball missing');
    expect(
      judgeBefore(inv, facts(inv, 2, { stagedSha256: 'b'.repeat(64), stagedSidecar: true }), expectOk)[2].message,
    ).toBe(`staged tarball sha256 ${'b'.repeat(64)} ≠ ${SHA}`);
  });
});

describe('judgeAfter', () => {
  const after = (over: Parameters<typeof upgradedFacts>[2] = {}, results = [] as ReturnType<typeof exec>[], i2 = inv) =>
    judgeAfter(i2, upgradedFacts(i2, 2, over), { target: '5.10.5', connectionsBefore: 1000 }, results);

  it('a proven hop passes all six angles', () => {
    expect(verdicts(after())).toEqual([
      'version:ok',
      'relup-status:ok',
      'marker:ok',
      'relup-log:ok',
      'cluster:ok',
      'connections:ok',
    ]);
  });
  const table: Array<[string, Parameters<typeof upgradedFacts>[2], string]> = [
    [
      'stopping after the hop',
      { ctl: { kind: 'running', node: N[1], version: '5.10.5', status: 'stopping' } },
      'version',
    ],
    ['relup status idle', { relupStatus: { kind: 'idle' } }, 'relup-status'],
    ['hot-upgraded to another target', { relupStatus: { kind: 'hot-upgraded', target: '5.10.6' } }, 'relup-status'],
    ['marker missing', { marker: null }, 'marker'],
    ['no relup log rows', { logs: [] }, 'relup-log'],
    [
      'newest row in progress',
      {
        logs: [
          {
            started: 's',
            finished: null,
            from: '5.10.4',
            target: '5.10.5',
            status: 'in-progress',
            result: { kind: 'none' },
            line: 'in progress row',
          },
        ],
      },
      'relup-log',
    ],
    ['connections collapsed 1000 → 499', { connections: 499 }, 'connections'],
    ['every connection lost 1000 → 0', { connections: 0 }, 'connections'],
    ['cluster status unreadable', { cluster: { kind: 'unrecognised', raw: 'boom' } }, 'cluster'],
  ];
  for (const [title, over, failing] of table) {
    it(`${title} fails exactly the ${failing} gate`, () => {
      expect(
        after(over)
          .filter((g) => !g.ok)
          .map((g) => g.gate),
      ).toEqual([failing]);
    });
  }
  it('a node that stopped: version, relup and connections fail with the ctl message as evidence', () => {
    const gs = after({
      ctl: { kind: 'down', node: N[1], message: `Node '${N[1]}' not responding to pings.` },
      version: null,
      relupStatus: { kind: 'down', node: N[1], message: 'x' },
      connections: null,
    });
    const v = gs.find((g) => g.gate === 'version')!;
    expect(v).toMatchObject({
      ok: false,
      message: `${N[1]} is not running after the upgrade`,
      evidence: [`Node '${N[1]}' not responding to pings.`],
    });
    expect(gs.find((g) => g.gate === 'connections')!.ok).toBe(false);
  });
  it('inventory gate commands: exit 0 passes, anything else fails with its output tail', () => {
    const inv2 = inventory(3, { commands: ['true', 'check-health'] });
    const gs = after({}, [exec(0), exec(7, 'line1\nunhealthy: 3 alarms\n', 'warn')], inv2);
    expect(verdicts(gs).slice(-2)).toEqual(['command:0:ok', 'command:1:FAIL']);
    expect(gs.at(-1)).toMatchObject({
      message: '`check-health` failed (exit 7)',
      evidence: ['line1', 'unhealthy: 3 alarms', 'warn'],
    });
    const timedOut = after({}, [exec(0), exec(null, '', '', { signal: 'SIGTERM', timedOut: true })], inv2).at(-1)!;
    expect(timedOut.message).toBe('`check-health` failed (exit SIGTERM, timed out)');
    // a missing result (the command never ran) fails closed
    expect(after({}, [exec(0)], inv2).at(-1)!.ok).toBe(false);
  });
});

describe('judgeCluster and renderTemplate', () => {
  it('names the missing nodes and both lists as evidence', () => {
    const g = judgeCluster(inv, facts(inv, 1, { cluster: { kind: 'cluster', running: [N[0]], stopped: [N[1]] } }));
    expect(g).toEqual({
      gate: 'cluster',
      ok: false,
      message: `not running in cluster status (seen from ${N[0]}): ${N[1]}, ${N[2]}`,
      evidence: [`running_nodes: ${N[0]}`, `stopped_nodes: ${N[1]}`],
    });
  });
  it('substitutes {rootDir} {node} {host} shell-quoted', () => {
    const spec = { ...inv.nodes[0], rootDir: '/opt/my emqx' };
    expect(renderTemplate('{rootDir}/bin/emqx ctl status && echo {node} {host}', spec)).toBe(
      `'/opt/my emqx'/bin/emqx ctl status && echo 'emqx@10.0.0.11' '10.0.0.11'`,
    );
  });
});
