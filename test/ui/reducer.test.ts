import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/rollout/core/events.js';
import { initialState, reduce, reduceAll } from '../../src/ui/reducer.js';
import { elapsedMs, liveNodes, newNode, nodeElapsedMs, type ViewState } from '../../src/ui/state.js';
import {
  CLUSTER,
  FILE,
  FROM,
  NODES,
  RUN_ID,
  SIZE,
  T0,
  TO,
  TURN_MS,
  cleanRollout,
  haltedRollout,
  plan,
  ts,
} from './fixtures.js';

const started: RolloutEvent = {
  ts: ts(0),
  type: 'rollout.started',
  command: 'upgrade',
  cluster: CLUSTER,
  runId: RUN_ID,
  nodes: [...NODES],
  from: FROM,
  to: TO,
};

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const node = (s: ViewState, name: string) => s.nodes.find((n) => n.name === name)!;

describe('reduce', () => {
  it('rollout.started sets the header and a pending row per node, in inventory order', () => {
    const s = reduce(initialState(), started);
    expect(s.phase).toBe('running');
    expect(s.header).toEqual({
      command: 'upgrade',
      cluster: CLUSTER,
      runId: RUN_ID,
      from: FROM,
      to: TO,
      window: null,
      resumed: false,
      startedAt: T0,
    });
    expect(s.nodes).toEqual(NODES.map((n) => ({ ...newNode(n), from: FROM, to: TO })));
    expect(s.lastEventAt).toBe(T0);
  });

  it('stage.progress shows bytes/total/rate; the final one marks the node staged with its action', () => {
    let s = reduce(initialState(), started);
    s = reduce(s, {
      ts: ts(5_000),
      type: 'stage.progress',
      node: NODES[0],
      file: FILE,
      bytesDone: SIZE / 2,
      bytesTotal: SIZE,
      rate: 8 << 20,
      done: false,
    });
    expect(node(s, NODES[0]).state).toBe('staging');
    expect(node(s, NODES[0]).staging).toEqual({
      file: FILE,
      bytesDone: SIZE / 2,
      bytesTotal: SIZE,
      rate: 8 << 20,
      done: false,
    });
    s = reduce(s, {
      ts: ts(9_000),
      type: 'stage.progress',
      node: NODES[0],
      file: FILE,
      bytesDone: SIZE,
      bytesTotal: SIZE,
      rate: 8 << 20,
      done: true,
      action: 'resumed',
    });
    expect(node(s, NODES[0]).state).toBe('staged');
    expect(node(s, NODES[0]).staging).toEqual({
      file: FILE,
      bytesDone: SIZE,
      bytesTotal: SIZE,
      rate: 8 << 20,
      done: true,
      action: 'resumed',
    });
    expect(node(s, NODES[1]).state).toBe('pending');
  });

  it('a serial step starts the node clock and puts the other unfinished nodes in waiting', () => {
    let s = reduceAll([started], initialState());
    s = reduce(s, {
      ts: ts(1_000),
      type: 'step.started',
      node: NODES[0],
      step: 'gate-before',
      detail: 'version, cluster',
    });
    expect(node(s, NODES[0])).toMatchObject({
      state: 'gating',
      step: 'gate-before',
      detail: 'version, cluster',
      startedAt: T0 + 1_000,
    });
    expect(s.nodes.slice(1).map((n) => n.state)).toEqual(['waiting', 'waiting']);
    s = reduce(s, {
      ts: ts(2_000),
      type: 'step.finished',
      node: NODES[0],
      step: 'gate-before',
      ok: true,
      durationMs: 1_000,
    });
    expect(node(s, NODES[0])).toMatchObject({ state: 'gating', stepResult: { ok: true, durationMs: 1_000 } });
    s = reduce(s, { ts: ts(2_500), type: 'step.started', node: NODES[0], step: 'upgrade' });
    expect(node(s, NODES[0])).toMatchObject({
      state: 'upgrading',
      step: 'upgrade',
      detail: null,
      stepResult: null,
      startedAt: T0 + 1_000,
    });
    expect(nodeElapsedMs(node(s, NODES[0]), T0 + 4_000, s.lastEventAt)).toBe(3_000);
    expect(nodeElapsedMs(node(s, NODES[0]), undefined, s.lastEventAt)).toBe(1_500);
  });

  it('gate.checked keeps one entry per gate and phase (a re-check replaces it)', () => {
    let s = reduceAll([started]);
    const g = (gate: string, phase: 'before' | 'after', ok: boolean, t: number): RolloutEvent => ({
      ts: ts(t),
      type: 'gate.checked',
      node: NODES[0],
      gate,
      phase,
      ok,
      message: ok ? 'fine' : 'bad',
    });
    s = reduceAll(
      [
        g('version', 'before', true, 1),
        g('version', 'after', false, 2),
        g('marker', 'after', true, 3),
        g('version', 'after', true, 4),
      ],
      s,
    );
    expect(node(s, NODES[0]).gates).toEqual([
      { id: 'version', phase: 'before', ok: true, message: 'fine' },
      { id: 'version', phase: 'after', ok: true, message: 'fine' },
      { id: 'marker', phase: 'after', ok: true, message: 'fine' },
    ]);
    expect(node(s, NODES[0]).message).toBe('bad'); // the last failure stays visible as evidence
  });

  it('node.done settles the node once; a repeated done only updates it', () => {
    const done: RolloutEvent = {
      ts: ts(20_000),
      type: 'node.done',
      node: NODES[0],
      outcome: 'upgraded',
      from: FROM,
      to: TO,
      durationMs: 12_000,
      connectionsBefore: 10,
      connectionsAfter: 9,
    };
    const s = reduceAll([started, done, { ...done, durationMs: 12_500 }]);
    expect(s.settled.map((i) => i.kind)).toEqual(['node']);
    expect(node(s, NODES[0])).toMatchObject({
      state: 'done',
      durationMs: 12_500,
      connectionsBefore: 10,
      connectionsNow: 9,
      version: TO,
      step: null,
    });
    expect(liveNodes(s).map((n) => n.name)).toEqual([NODES[1], NODES[2]]);
  });

  it('plan.ready: skip nodes settle as skipped with the reason; a later node.done skipped does not repeat it', () => {
    const p = plan();
    const skipPlan = {
      ...p,
      nodes: p.nodes.map((n, i) =>
        i === 2 ? { ...n, action: 'skip' as const, from: TO, reason: `already at ${TO}` } : n,
      ),
    };
    const s = reduceAll([
      started,
      {
        ts: ts(1),
        type: 'node.observed',
        node: NODES[0],
        reachable: true,
        version: FROM,
        relupStatus: 'idle',
        connections: 10,
      },
      { ts: ts(2), type: 'plan.ready', plan: skipPlan },
      { ts: ts(3), type: 'node.done', node: NODES[2], outcome: 'skipped', from: TO, to: TO, durationMs: 0 },
    ]);
    expect(s.plan).toEqual({ upgrade: 2, skip: 1, blocked: 0, canProceed: true });
    expect(node(s, NODES[0]).state).toBe('pending'); // observing ends with the plan
    expect(node(s, NODES[2])).toMatchObject({ state: 'skipped', message: `already at ${TO}` });
    expect(s.settled).toHaveLength(1);
  });

  it('node.observed: connections before the turn are the baseline, after it they are "now"', () => {
    let s = reduceAll([
      started,
      {
        ts: ts(1),
        type: 'node.observed',
        node: NODES[0],
        reachable: true,
        version: FROM,
        relupStatus: 'idle',
        connections: 10,
      },
    ]);
    expect(node(s, NODES[0])).toMatchObject({
      state: 'observing',
      connectionsBefore: 10,
      connectionsNow: 10,
      version: FROM,
      reachable: true,
    });
    s = reduceAll(
      [
        { ts: ts(2), type: 'step.started', node: NODES[0], step: 'upgrade' },
        {
          ts: ts(3),
          type: 'node.observed',
          node: NODES[0],
          reachable: true,
          version: TO,
          relupStatus: `hot-upgraded to ${TO}`,
          connections: 7,
        },
      ],
      s,
    );
    expect(node(s, NODES[0])).toMatchObject({ connectionsBefore: 10, connectionsNow: 7, version: TO });
    s = reduce(s, {
      ts: ts(4),
      type: 'node.observed',
      node: NODES[1],
      reachable: false,
      version: null,
      relupStatus: null,
      connections: null,
    });
    expect(node(s, NODES[1])).toMatchObject({ reachable: false, message: 'unreachable', connectionsNow: null });
  });

  it('the clean fixture ends with every node done, five settled lines, the summary and the traffic', () => {
    const s = reduceAll(cleanRollout());
    expect(s.phase).toBe('done');
    expect(s.nodes.map((n) => n.state)).toEqual(['done', 'done', 'done']);
    expect(s.nodes.map((n) => n.durationMs)).toEqual([TURN_MS, TURN_MS, TURN_MS]);
    expect(s.nodes.map((n) => n.gates.length)).toEqual([16, 16, 16]);
    expect(s.settled.map((i) => i.kind)).toEqual(['log', 'finding', 'node', 'node', 'node']);
    expect(s.findings).toEqual([
      {
        code: 'backup-space-low',
        severity: 'warning',
        node: NODES[2],
        message: `${NODES[2]}: /var/backups/emqx has 2.1 GB free`,
        fix: 'free space or set backupDir',
      },
    ]);
    expect(s.done?.rows.map((r) => r.outcome)).toEqual(['upgraded', 'upgraded', 'upgraded']);
    expect(s.traffic).toEqual({ clients: 30, connected: 30, disconnects: 0, published: 1234, received: 1234, lost: 0 });
    expect(elapsedMs(s, T0 + 999_999)).toBe(12_000 + 3 * TURN_MS); // done: the clock stops
    expect(liveNodes(s)).toEqual([]);
  });

  it('the halted fixture: failing node failed with the gate ✗, the rest untouched, the halt panel filled', () => {
    const s = reduceAll(haltedRollout());
    expect(s.phase).toBe('halted');
    expect(s.nodes.map((n) => n.state)).toEqual(['done', 'failed', 'untouched']);
    expect(node(s, NODES[1]).gates.filter((g) => !g.ok)).toEqual([
      { id: 'marker', phase: 'after', ok: false, message: `relup/current holds 5.10.4, expected ${TO}` },
    ]);
    expect(s.halt).toMatchObject({
      node: NODES[1],
      check: 'marker',
      evidence: ['$ cat /opt/emqx/relup/current', '5.10.4', 'exit 0, 0.1s'],
    });
    expect(s.halt?.recovery).toHaveLength(4);
    expect(elapsedMs(s, T0 + 999_999)).toBe(s.lastEventAt! - T0);
  });

  it('rollout.paused keeps the next node and hint; elapsed follows the live clock only while running', () => {
    let s = reduceAll([started]);
    expect(elapsedMs(s, T0 + 7_000)).toBe(7_000);
    expect(elapsedMs(s)).toBe(0);
    s = reduce(s, {
      ts: ts(9_000),
      type: 'rollout.paused',
      reason: 'window closed at 05:00 Europe/Berlin',
      resumeHint: 'emqx-rollout upgrade --resume',
      nextNode: NODES[1],
    });
    expect(s.paused).toEqual({
      reason: 'window closed at 05:00 Europe/Berlin',
      resumeHint: 'emqx-rollout upgrade --resume',
      nextNode: NODES[1],
    });
    expect(s.nodes.map((n) => n.state)).toEqual(['waiting', 'waiting', 'waiting']);
    expect(elapsedMs(s, T0 + 60_000)).toBe(9_000);
  });

  it('is pure: frozen state and events go in, nothing is mutated, the same input gives the same output', () => {
    const events = deepFreeze(haltedRollout());
    const a = reduceAll(events, deepFreeze(initialState()));
    const b = reduceAll(events, initialState());
    expect(a).toEqual(b);
  });

  it('an event for a node not announced still gets a row (evidence is never hidden)', () => {
    const s = reduceAll([started, { ts: ts(1), type: 'step.started', node: 'emqx@10.9.9.9', step: 'upgrade' }]);
    expect(s.nodes.map((n) => n.name)).toEqual([...NODES, 'emqx@10.9.9.9']);
  });
});
