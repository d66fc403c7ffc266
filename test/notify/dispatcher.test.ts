// The dispatcher against real loopback receivers and real hook commands: filtering, order,
// timeouts, bounded retries, and the promise that dispatch() never waits on a receiver.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyTarget } from '../../src/inventory/types.js';
import { createNotifier, WARN_LIMIT, type NotifierOptions } from '../../src/notify/dispatcher.js';
import { BACKOFF_MS, MAX_ATTEMPTS } from '../../src/notify/webhook.js';
import type { RolloutEvent } from '../../src/rollout/core/events.js';
import { refusedUrl, startReceiver, type Receiver } from './receivers.js';

const DEFAULT_EVENTS = [
  'rollout.started',
  'rollout.awaiting-approval',
  'node.done',
  'rollout.paused',
  'rollout.halted',
  'rollout.done',
];
const ts = () => new Date().toISOString();
const started = (): RolloutEvent => ({
  ts: ts(),
  type: 'rollout.started',
  command: 'upgrade',
  cluster: 'c',
  runId: 'r1',
  nodes: ['a@x', 'b@x'],
});
const step = (node: string): RolloutEvent => ({ ts: ts(), type: 'step.started', node, step: 'upgrade' });
const nodeDone = (node: string): RolloutEvent => ({
  ts: ts(),
  type: 'node.done',
  node,
  outcome: 'upgraded',
  from: '5.10.4',
  to: '5.10.5',
  durationMs: 1,
});
const done = (): RolloutEvent => ({ ts: ts(), type: 'rollout.done', rows: [], durationMs: 5 });

const web = (url: string, o: Partial<{ events: string[]; timeoutSeconds: number }> = {}): NotifyTarget => ({
  kind: 'webhook',
  url,
  events: o.events ?? DEFAULT_EVENTS,
  timeoutSeconds: o.timeoutSeconds ?? 5,
});
const cmd = (command: string, o: Partial<{ events: string[]; timeoutSeconds: number }> = {}): NotifyTarget => ({
  kind: 'command',
  command,
  events: o.events ?? DEFAULT_EVENTS,
  timeoutSeconds: o.timeoutSeconds ?? 5,
});

function notifier(targets: NotifyTarget[], extra: Partial<NotifierOptions> = {}) {
  const warnings: string[] = [];
  const records: Array<Record<string, unknown>> = [];
  const n = createNotifier({
    targets,
    runId: 'r1',
    userAgent: 'emqx-rollout/test',
    env: { PATH: process.env.PATH },
    now: () => Date.now(),
    warn: (m) => warnings.push(m),
    record: (r) => records.push(r),
    ...extra,
  });
  return { n, warnings, records };
}

let dir: string;
const receivers: Receiver[] = [];
const receiver = async (s?: ReadonlyArray<number | 'hang'>) => {
  const r = await startReceiver(s);
  receivers.push(r);
  return r;
};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notify-'));
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('webhooks', () => {
  it('POSTs each subscribed event as JSON, in order, and only those it subscribed to', async () => {
    const all = await receiver();
    const only = await receiver();
    const { n, warnings, records } = notifier([web(all.url), web(only.url, { events: ['rollout.done'] })]);
    for (const e of [started(), step('a@x'), nodeDone('a@x'), nodeDone('b@x'), done()]) n.dispatch(e);
    const r = await n.drain();
    expect(r.abandoned).toBe(0);
    expect(all.received.map((x) => (x.body as { type: string }).type)).toEqual([
      'rollout.started',
      'node.done',
      'node.done',
      'rollout.done',
    ]);
    expect(all.received.map((x) => (x.body as { node?: string }).node)).toEqual([undefined, 'a@x', 'b@x', undefined]);
    expect(only.received.map((x) => (x.body as { type: string }).type)).toEqual(['rollout.done']);
    const h = all.received[0].headers;
    expect(h['content-type']).toBe('application/json');
    expect(h['x-emqx-rollout-run']).toBe('r1');
    expect(h['x-emqx-rollout-event']).toBe('rollout.started');
    expect(warnings).toEqual([]);
    expect(records.filter((x) => x.kind === 'notify' && x.ok === true)).toHaveLength(5);
  });

  it('retries a 503 and a refused connection, at most MAX_ATTEMPTS times, then warns', async () => {
    const flaky = await receiver([503, 502, 200]);
    const { n, warnings } = notifier([web(flaky.url, { events: ['rollout.started'] })]);
    const t = Date.now();
    n.dispatch(started());
    await n.settled();
    expect(flaky.hits()).toBe(3);
    expect(flaky.received).toHaveLength(1);
    expect(Date.now() - t).toBeGreaterThanOrEqual(BACKOFF_MS[0] + BACKOFF_MS[1] - 50);
    expect(warnings).toEqual([]);

    const url = await refusedUrl();
    const dead = notifier([web(url, { events: ['rollout.started'] })]);
    dead.n.dispatch(started());
    await dead.n.settled();
    expect(dead.warnings).toHaveLength(1);
    expect(dead.warnings[0]).toMatch(new RegExp(`ECONNREFUSED after ${MAX_ATTEMPTS} attempts`));
    expect(dead.records.find((x) => x.kind === 'notify')).toMatchObject({
      ok: false,
      attempts: MAX_ATTEMPTS,
      error: 'ECONNREFUSED',
    });
  });

  it('does not retry a 404 (a wrong URL) nor a timeout', async () => {
    const wrong = await receiver([404]);
    const slow = await receiver(['hang']);
    const { n, warnings, records } = notifier([
      web(wrong.url, { events: ['rollout.started'] }),
      web(slow.url, { events: ['rollout.started'], timeoutSeconds: 0.3 }),
    ]);
    const t = Date.now();
    n.dispatch(started());
    await n.settled();
    expect(wrong.hits()).toBe(1);
    expect(slow.hits()).toBe(1);
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(warnings.some((w) => /HTTP 404 after 1 attempt/.test(w))).toBe(true);
    expect(warnings.some((w) => /no answer within 0\.3s after 1 attempt/.test(w))).toBe(true);
    expect(records.filter((x) => x.ok === false)).toHaveLength(2);
  });

  it("never shows a URL's userinfo, path or query: only scheme://host:port", async () => {
    const slow = await receiver([401]);
    const secretUrl =
      slow.url.replace('http://', 'http://ops:hunter2secret@') + '/T0123/B0456/XyZsecretToken?token=abc123def456';
    const { n, warnings, records } = notifier([web(secretUrl, { events: ['rollout.started'] })]);
    n.dispatch(started());
    await n.settled();
    const text = JSON.stringify([warnings, records]);
    for (const s of ['hunter2', 'ops:', 'XyZsecretToken', 'abc123def456', '/hook', 'T0123'])
      expect(text).not.toContain(s);
    expect(warnings[0]).toContain(`${new URL(slow.url).origin}/…`);
  });

  it('dispatch() returns at once even when the receiver never answers; drain() waits only for a terminal event, bounded', async () => {
    const hang = await receiver(['hang']);
    const { n, records } = notifier([web(hang.url, { timeoutSeconds: 30 })]);
    const t = performance.now();
    for (let i = 0; i < 50; i++) n.dispatch(nodeDone(`n${i}@x`));
    expect(performance.now() - t).toBeLessThan(50); // 50 dispatches, none waited on the network
    // no terminal event queued: nothing to wait for at exit
    let t1 = Date.now();
    let d = await n.drain(3_000);
    expect(Date.now() - t1).toBeLessThan(500);
    expect(d.abandoned).toBe(50);
    expect(records.filter((r) => String(r.error).startsWith('abandoned at exit'))).toHaveLength(50);

    const again = notifier([web(hang.url, { timeoutSeconds: 30 })]);
    again.n.dispatch(done());
    t1 = Date.now();
    d = await again.n.drain(700);
    const waited = Date.now() - t1;
    expect(waited).toBeGreaterThanOrEqual(650); // a terminal event in flight is worth a short wait…
    expect(waited).toBeLessThan(1_500); // …and never more
    expect(d.abandoned).toBe(1);
  });

  it('warns for the first few failures of a receiver, then journals only', async () => {
    const { url } = await receiver([404]); // not retried: keeps this test fast
    const { n, warnings, records } = notifier([web(url, { events: ['node.done'], timeoutSeconds: 1 })]);
    for (let i = 0; i < WARN_LIMIT + 2; i++) n.dispatch(nodeDone(`n${i}@x`));
    await n.settled();
    expect(warnings).toHaveLength(WARN_LIMIT);
    expect(warnings[WARN_LIMIT - 1]).toMatch(/further failures of this receiver go to the journal only$/);
    expect(records.filter((r) => r.kind === 'notify')).toHaveLength(WARN_LIMIT + 2);
  });
});

describe('command hooks', () => {
  it('runs the command with the event JSON on stdin, filtered, in order', async () => {
    const out = join(dir, 'hook.out');
    const script = join(dir, 'hook.sh');
    await writeFile(script, `#!/bin/sh\n{ cat; echo "$EMQX_ROLLOUT_EVENT $EMQX_ROLLOUT_RUN_ID"; } >> '${out}'\n`, {
      mode: 0o755,
    });
    const { n, warnings } = notifier([cmd(script, { events: ['rollout.started', 'node.done', 'rollout.done'] })]);
    for (const e of [started(), step('a@x'), nodeDone('a@x'), done()]) n.dispatch(e);
    await n.drain();
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines.filter((_, i) => i % 2 === 0).map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      'rollout.started',
      'node.done',
      'rollout.done',
    ]);
    expect(lines.filter((_, i) => i % 2 === 1)).toEqual(['rollout.started r1', 'node.done r1', 'rollout.done r1']);
    expect(warnings).toEqual([]);
  });

  it('a failing hook is a warning with its stderr tail; a hanging hook is killed at its deadline, with its children', async () => {
    const marker = join(dir, 'child-survived');
    const { n, warnings } = notifier([
      cmd('echo "chat service said no" >&2; exit 3', { events: ['rollout.started'] }),
      cmd(`(sleep 2; touch '${marker}') & sleep 30`, { events: ['rollout.started'], timeoutSeconds: 0.5 }),
    ]);
    const t = Date.now();
    n.dispatch(started());
    await n.settled();
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/notify\[0\] command echo … \(rollout\.started\): exit code 3: chat service said no/),
        expect.stringMatching(
          /notify\[1\] command \(sleep … \(rollout\.started\): did not finish within 0\.5s \(killed\)/,
        ),
      ]),
    );
    await new Promise((r) => setTimeout(r, 2_500));
    await expect(readFile(marker)).rejects.toThrow(); // the whole process group died with it
  });
});
