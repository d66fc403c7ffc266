import { describe, expect, it } from 'vitest';
import { bootState } from '../../../src/rollout/observe/bootState.js';
import { recoverySteps } from '../../../src/rollout/core/failure.js';
import {
  endEvacuationAdvice,
  judgeAccepting,
  judgeStart,
  judgeStop,
  parseEvictionStatus,
  parseRebalanceNodeStatus,
  parseRebalanceStart,
  parseRebalanceStop,
} from '../../../src/rollout/restart/evacuation.js';
import { judgeBootedInto, judgeRestartBefore } from '../../../src/rollout/restart/gates.js';
import { planRestart } from '../../../src/rollout/restart/plan.js';
import { NAMES, bootedNew, execResult, facts, inventory, pending, spec, unreachable } from '../day2Fixtures.js';

const [A, B, C] = NAMES;
const inv = inventory();

describe('bootState: which tree a node booted from', () => {
  it('marker + hot-upgraded → pending; marker + idle + same version → booted from relup/<vsn>/', () => {
    expect(bootState(pending(A))).toEqual({ kind: 'pending', target: '5.10.5', version: '5.10.5' });
    expect(bootState(bootedNew(A))).toEqual({ kind: 'booted-new', target: '5.10.5' });
    expect(bootState(facts(A))).toEqual({ kind: 'no-marker', version: '5.10.4' });
  });

  it('contradictions are unclear, never guessed', () => {
    expect(
      bootState(
        facts(A, { marker: '5.10.5', relupStatus: { kind: 'hot-upgraded', target: '5.10.6' }, version: '5.10.5' }),
      ).kind,
    ).toBe('unclear');
    expect(
      bootState(facts(A, { marker: null, relupStatus: { kind: 'hot-upgraded', target: '5.10.5' }, version: '5.10.5' }))
        .kind,
    ).toBe('unclear');
    // marker on disk, status idle, but the VM runs the old version: not "booted from the new tree"
    expect(bootState(facts(A, { marker: '5.10.5', version: '5.10.4' })).kind).toBe('unclear');
    expect(
      bootState(facts(A, { marker: '5.10.5', relupStatus: { kind: 'not-registered', raw: '' }, version: '5.10.5' }))
        .kind,
    ).toBe('unclear');
  });

  it('down, unreachable and in-progress are their own states', () => {
    expect(bootState(facts(A, { version: null })).kind).toBe('down');
    expect(bootState(unreachable(A)).kind).toBe('unreachable');
    expect(bootState(facts(A, { relupStatus: { kind: 'in-progress' } })).kind).toBe('in-progress');
  });
});

describe('planRestart', () => {
  it('restarts pending nodes, skips nodes with nothing to boot into or already booted, with reasons', () => {
    const p = planRestart(inv, [pending(A), facts(B), bootedNew(C)]);
    expect(p.canProceed).toBe(true);
    expect(p.target).toBe('5.10.5');
    expect(p.nodes.map((n) => [n.name, n.action, n.reason])).toEqual([
      [A, 'restart', 'hot-upgraded to 5.10.5, pending restart'],
      [B, 'skip', 'no relup/current marker: nothing to boot into'],
      [C, 'skip', 'already booted from relup/5.10.5/'],
    ]);
    // B stays on 5.10.4 while the others move to 5.10.5: a warning, so exit 0 cannot hide it
    expect(p.findings.map((f) => [f.node, f.severity, f.code])).toEqual([[B, 'warning', 'left-behind']]);
  });

  it('blocks on an unreachable, down, in-progress or unclear node, naming it', () => {
    const p = planRestart(inv, [pending(A), unreachable(B), facts(C, { version: null })]);
    expect(p.canProceed).toBe(false);
    expect(p.findings.map((f) => [f.node, f.code])).toEqual([
      [B, 'node-unreachable'],
      [C, 'node-down'],
    ]);
    expect(p.nodes[0].action).toBe('restart');
    const q = planRestart(inv, [
      pending(A),
      facts(B, { relupStatus: { kind: 'in-progress' } }),
      facts(C, { marker: '5.10.5' }),
    ]);
    expect(q.findings.map((f) => f.code)).toEqual(['upgrade-in-progress', 'boot-state-unclear']);
  });

  it('no common target when pending nodes boot into different versions', () => {
    expect(planRestart(inv, [pending(A, '5.10.5'), pending(B, '5.10.6'), facts(C)]).target).toBeNull();
  });
});

describe('judgeRestartBefore', () => {
  it('passes a pending node of a whole cluster', () => {
    expect(judgeRestartBefore(inv, pending(A), '5.10.5').map((g) => [g.gate, g.ok])).toEqual([
      ['version', true],
      ['pending', true],
      ['cluster', true],
    ]);
  });

  it('fails when a node is missing from cluster status, or the node is no longer pending', () => {
    const g = judgeRestartBefore(
      inv,
      pending(A, '5.10.5', { cluster: { kind: 'cluster', running: [A, B], stopped: [C] } }),
      '5.10.5',
    );
    expect(g.find((x) => x.gate === 'cluster')).toMatchObject({ ok: false, message: expect.stringContaining(C) });
    const h = judgeRestartBefore(inv, bootedNew(A), '5.10.5');
    expect(h.find((x) => x.gate === 'pending')).toMatchObject({
      ok: false,
      message: expect.stringContaining('booted from relup/5.10.5/'),
    });
  });
});

describe('judgeBootedInto', () => {
  const relup = { version: '5.10.5', tree: 'relup' as const, uptimeBefore: 600, uptimeAfter: 3, elapsedMs: 4000 };

  it('after a restart into relup/<vsn>/: version, relup status idle, booted, uptime reset, rejoined', () => {
    const g = judgeBootedInto(inv, bootedNew(A), relup, []);
    expect(g.map((x) => [x.gate, x.ok])).toEqual([
      ['version', true],
      ['relup-status', true],
      ['booted', true],
      ['uptime', true],
      ['cluster', true],
    ]);
  });

  it('a node still on the base tree (status hot-upgraded) fails booted and relup-status', () => {
    const g = judgeBootedInto(inv, pending(A), relup, []);
    expect(g.filter((x) => !x.ok).map((x) => x.gate)).toEqual(['relup-status', 'booted']);
  });

  it('uptime: a VM that was not restarted is caught (12 s elapsed, 612 s up), 1 s of rounding allowed', () => {
    expect(
      judgeBootedInto(inv, bootedNew(A), { ...relup, uptimeAfter: 612, elapsedMs: 12_000 }, []).find(
        (x) => x.gate === 'uptime',
      )!.ok,
    ).toBe(false);
    expect(
      judgeBootedInto(inv, bootedNew(A), { ...relup, uptimeAfter: 13, elapsedMs: 12_000 }, []).find(
        (x) => x.gate === 'uptime',
      )!.ok,
    ).toBe(true);
    expect(
      judgeBootedInto(inv, bootedNew(A), { ...relup, uptimeAfter: 14, elapsedMs: 12_000 }, []).find(
        (x) => x.gate === 'uptime',
      )!.ok,
    ).toBe(false);
    expect(
      judgeBootedInto(inv, bootedNew(A), { ...relup, uptimeAfter: null }, []).find((x) => x.gate === 'uptime')!.ok,
    ).toBe(false);
  });

  it('a node that is down fails version with the ping message as evidence', () => {
    const g = judgeBootedInto(inv, facts(A, { version: null, cluster: null }), relup, []);
    expect(g.find((x) => x.gate === 'version')).toMatchObject({
      ok: false,
      evidence: [`Node '${A}' not responding to pings.`],
    });
    expect(g.find((x) => x.gate === 'cluster')!.ok).toBe(false);
  });

  it('into the base tree (recover-boot): the marker must be gone and the old version running', () => {
    const base = { version: '5.10.4', tree: 'base' as const, uptimeBefore: 600, uptimeAfter: 1, elapsedMs: 2000 };
    expect(judgeBootedInto(inv, facts(A), base, []).every((x) => x.ok)).toBe(true);
    expect(
      judgeBootedInto(inv, bootedNew(A), base, [])
        .filter((x) => !x.ok)
        .map((x) => x.gate),
    ).toEqual(['version', 'booted']);
  });

  it('inventory gate commands are judged by exit code; not run (node down) fails too', () => {
    const i2 = inventory({ gates: { ...inv.gates, commands: ['curl -sf localhost:18083/status'] } });
    expect(judgeBootedInto(i2, bootedNew(A), relup, [execResult({ exitCode: 0 })]).at(-1)).toMatchObject({
      gate: 'command:0',
      ok: true,
    });
    expect(
      judgeBootedInto(i2, bootedNew(A), relup, [execResult({ exitCode: 7, stderr: 'refused\n' })]).at(-1),
    ).toMatchObject({ gate: 'command:0', ok: false, evidence: ['refused'] });
    expect(judgeBootedInto(i2, bootedNew(A), relup, []).at(-1)).toMatchObject({ gate: 'command:0', ok: false });
  });
});

describe('evacuation decisions (texts: facts A1; parsers: test/emqx/parse/rebalance.test.ts)', () => {
  const start = (out: string) => judgeStart(parseRebalanceStart(out, '', 1));
  const stop = (out: string) => judgeStop(parseRebalanceStop(out, '', 1));

  it('start: accepted text with exit 1 is done; already enabled asks node-status; boot-window answers retry', () => {
    expect(start('Rebalance(evacuation) started\n')).toBe('done');
    expect(start('Rebalance is already enabled\n')).toBe('check-status');
    expect(start('Command table is initializing.\n')).toBe('retry');
    expect(start('No commands available.\n')).toBe('retry');
    expect(start('Rebalance start error: invalid --conn-evict-rate value\n')).toBe('fail');
    expect(start('')).toBe('fail');
  });

  it('stop: evacuation stopped or already disabled is done (exit 1 either way); a purge stopped is not ours', () => {
    expect(stop('Rebalance(evacuation) stopped\n')).toBe('done');
    expect(stop('Rebalance is already disabled\n')).toBe('done');
    expect(stop('Rebalance(purge) stopped\n')).toBe('fail');
    expect(stop('Command table is initializing.\n')).toBe('retry');
    expect(stop('')).toBe('fail');
  });

  it('accepting clients needs node-status disabled AND eviction disabled', () => {
    const ns = (o: string, rc = 0) => parseRebalanceNodeStatus(o, '', rc);
    const ev = (o: string) => parseEvictionStatus(o, '', 0);
    expect(judgeAccepting(ns('Rebalance disabled\n'), ev('Eviction status: disabled\n'))).toBe('done');
    expect(judgeAccepting(ns('Rebalance disabled\n'), ev('Eviction status: enabled\n'))).toBe('retry');
    expect(judgeAccepting(ns('Command table is initializing.\n', 1), ev('Eviction status: disabled\n'))).toBe('retry');
  });

  it('the halt advice names the exact command, sudo included, and the persisted file', () => {
    const pkg = { ...inv.nodes[0], rootDir: '/usr/lib/emqx', become: 'sudo' as const, becomeUser: 'root' };
    const a = endEvacuationAdvice(pkg, '/var/lib/emqx');
    expect(a).toContain("`sudo -u root '/usr/lib/emqx/bin/emqx' ctl rebalance stop`");
    expect(a).toContain('/var/lib/emqx/.evacuation');
    expect(a).toContain('exits 1');
  });
});

describe('recoverySteps (restart, recover-boot)', () => {
  it('names the node, its state and the next command', () => {
    const s = spec(A);
    expect(recoverySteps({ kind: 'not-back' }, s, '5.10.5', 'restart').join('\n')).toMatch(
      /\/opt\/emqx\/bin\/emqx start[\s\S]*rm \/opt\/emqx\/relup\/current/,
    );
    expect(recoverySteps({ kind: 'evacuation' }, s, '5.10.5', 'restart').join('\n')).toContain(
      '/opt/emqx/bin/emqx ctl rebalance stop',
    );
    expect(recoverySteps({ kind: 'before-change' }, s, null, 'recover-boot')[0]).toContain(
      `emqx-rollout recover-boot --node ${A}`,
    );
  });
});

describe('planRestart on package installs (facts A3 "Risk")', () => {
  const loc = (path: string) => ({ path, source: 'discovered' }) as never;
  const layout = {
    rootDir: '/usr/lib/emqx',
    reportedRootDir: null,
    relform: 'deb',
    etcDir: loc('/etc/emqx'),
    dataDir: loc('/var/lib/emqx'),
    logDir: loc('/var/log/emqx'),
    runnerUser: 'emqx',
    processUser: 'emqx',
  } as never;
  const tgzVars = { relVsn: '5.10.5', etcDir: '/usr/lib/emqx/etc', logDir: '/usr/lib/emqx/log', runnerUser: '' };
  const pkgVars = { relVsn: '5.10.5', etcDir: '/etc/emqx', logDir: '/var/log/emqx', runnerUser: 'emqx' };

  it('a relup tree that would boot with other locations blocks every such node up front (exit 3, nothing stopped)', () => {
    const p = planRestart(inv, [
      pending(A, '5.10.5', { layout, relupVars: { '5.10.5': tgzVars } }),
      pending(B, '5.10.5', { layout, relupVars: { '5.10.5': tgzVars } }),
      pending(C, '5.10.5', { layout, relupVars: { '5.10.5': pkgVars } }),
    ]);
    expect(p.canProceed).toBe(false);
    expect(p.findings.filter((f) => f.code === 'boot-locations-differ').map((f) => f.node)).toEqual([A, B]);
    expect(p.findings[0].message).toMatch(/etc dir: runs with \/etc\/emqx, the new tree says \/usr\/lib\/emqx\/etc/);
    expect(p.nodes.map((n) => n.action)).toEqual(['blocked', 'blocked', 'restart']);
  });

  it('unknown locations are not a difference: a tgz node without discovered vars restarts as before', () => {
    expect(planRestart(inv, [pending(A), pending(B), pending(C)]).canProceed).toBe(true);
  });
});
