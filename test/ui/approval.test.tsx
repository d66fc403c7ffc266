// The approval events in the three renderers: plain lines, the reducer (NDJSON passes them through
// unchanged), and the live view's panel and keys (y continues, n rejects, Ctrl-C interrupts).
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/rollout/core/events.js';
import { mountInk } from '../../src/ui/ink/mount.js';
import { PlainFormatter } from '../../src/ui/plain.js';
import { reduceAll } from '../../src/ui/reducer.js';
import { NODES, T0, ts } from './fixtures.js';
import { FakeTerminal, stripAnsi, waitFor } from './helpers.js';

const started: RolloutEvent = {
  ts: ts(0),
  type: 'rollout.started',
  command: 'upgrade',
  cluster: 'demo',
  runId: 'r1',
  nodes: [...NODES],
  from: '5.10.4',
  to: '5.10.5',
};
const awaiting: RolloutEvent = {
  ts: ts(10_000),
  type: 'rollout.awaiting-approval',
  runId: 'r1',
  upgraded: 1,
  done: 1,
  total: 3,
  remaining: 2,
  nextNode: NODES[1],
  deadline: ts(70_000),
  via: 'command',
  hint: 'to continue run `emqx-rollout approve -i /inv.yaml` in another shell',
};
const approved: RolloutEvent = { ts: ts(20_000), type: 'rollout.approved', by: 'jo@bastion', nextNode: NODES[1] };
const rejected: RolloutEvent = { ts: ts(20_000), type: 'rollout.rejected', by: 'jo@bastion', nextNode: NODES[1] };

describe('plain', () => {
  it('says what is awaited, until when, how to answer, and who decided', () => {
    const f = new PlainFormatter({ color: false });
    expect(f.format(awaiting)).toEqual([
      '2026-11-26T21:03:10Z AWAITING APPROVAL: 1 node upgraded, 1/3 at the target; next node emqx@127.0.0.12 (until 2026-11-26T21:04:10Z, then paused)',
      '  to continue run `emqx-rollout approve -i /inv.yaml` in another shell',
    ]);
    expect(f.format(approved)).toEqual([
      '2026-11-26T21:03:20Z approved by jo@bastion: continuing with emqx@127.0.0.12',
    ]);
    expect(f.format(rejected)).toEqual([
      '2026-11-26T21:03:20Z rejected by jo@bastion: stopping before emqx@127.0.0.12',
    ]);
  });
});

describe('reducer', () => {
  it('awaiting shows a panel and marks the next node; the decision clears it and settles a line', () => {
    const s1 = reduceAll([started, awaiting]);
    expect(s1.awaiting).toMatchObject({ nextNode: NODES[1], deadline: T0 + 70_000, total: 3 });
    expect(s1.nodes[1]).toMatchObject({ state: 'waiting', message: 'awaiting approval' });
    const s2 = reduceAll([started, awaiting, approved]);
    expect(s2.awaiting).toBeNull();
    expect(s2.nodes[1].message).toBeNull();
    expect(s2.settled.at(-1)).toMatchObject({
      kind: 'log',
      message: 'approved by jo@bastion: continuing with emqx@127.0.0.12',
    });
    const s3 = reduceAll([started, awaiting, rejected]);
    expect(s3.awaiting).toBeNull();
    expect(s3.settled.at(-1)).toMatchObject({ kind: 'log', level: 'warn' });
  });
});

/** A terminal stdin: raw mode on request, keys fed with `press`. */
class TtyStdin extends EventEmitter {
  isTTY = true;
  raw = false;
  #queue: string[] = [];
  setEncoding() {}
  setRawMode(v: boolean) {
    this.raw = v;
  }
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => this.#queue.shift() ?? null;
  press(s: string) {
    this.#queue.push(s);
    this.emit('readable');
  }
}

describe('live view', () => {
  it.each([
    ['y', 'approve'],
    ['n', 'reject'],
    ['\u0003', 'interrupt'],
  ] as const)('key %j answers %s; raw mode only while asking', async (key, answer) => {
    const stdout = new FakeTerminal(100);
    const stdin = new TtyStdin();
    const r = mountInk({
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stderr: new FakeTerminal() as unknown as NodeJS.WriteStream,
      now: () => T0 + 40_000,
      color: false,
      debug: true,
    });
    r.onEvent(started);
    r.onEvent({
      ...awaiting,
      via: 'terminal',
      deadline: null,
      hint: 'press y to continue with the next node, n to stop here (paused, exit 5)',
    });
    await waitFor(() => expect(stripAnsi(stdout.lastFrame())).toContain('AWAITING APPROVAL'));
    expect(stripAnsi(stdout.lastFrame())).toContain('press y to continue');
    expect(stdin.raw).toBe(false);
    const asked = r.ask();
    await waitFor(() => expect(stdin.raw).toBe(true));
    stdin.press('x'); // other keys do nothing
    stdin.press(key);
    expect(await asked).toBe(answer);
    await waitFor(() => expect(stdin.raw).toBe(false));
    await r.finish();
  });

  it('shows the time left before the deadline', async () => {
    const stdout = new FakeTerminal(100);
    const r = mountInk({
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: new TtyStdin() as unknown as NodeJS.ReadStream,
      now: () => T0 + 40_000,
      color: false,
      debug: true,
    });
    r.onEvent(started);
    r.onEvent(awaiting);
    await waitFor(() => expect(stripAnsi(stdout.lastFrame())).toContain('AWAITING APPROVAL · 0:30 left'));
    expect(stripAnsi(stdout.lastFrame())).toContain('1 node upgraded · 1/3 at the target · next node emqx@127.0.0.12');
    await r.finish();
  });
});
