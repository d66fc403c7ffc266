// One scenario through all three renderers: the Ink last frame, the plain lines, the NDJSON lines.
import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/rollout/core/events.js';
import { mountInk } from '../../src/ui/ink/mount.js';
import { createJsonRenderer } from '../../src/ui/ndjson.js';
import { createPlainRenderer } from '../../src/ui/plain.js';
import { T0, cleanRollout, haltedRollout } from './fixtures.js';
import { FakeStdin, FakeTerminal, lineSink, stripAnsi } from './helpers.js';

async function allThree(events: RolloutEvent[]) {
  const term = new FakeTerminal(100);
  const ink = mountInk({
    stdout: term as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    now: () => T0,
    color: false,
    debug: true,
  });
  const plain = lineSink();
  const json = lineSink();
  const renderers = [ink, createPlainRenderer(plain.out, { color: false }), createJsonRenderer(json.out)];
  for (const e of events) for (const r of renderers) r.onEvent(e);
  await Promise.all(renderers.map((r) => r.finish()));
  return { frame: stripAnsi(term.lastFrame()), plain: plain.lines(), json: json.lines() };
}

describe('scenario through all renderers', () => {
  it('clean 3-node rollout', async () => {
    const events = cleanRollout();
    const { frame, plain, json } = await allThree(events);
    expect(frame.split('\n').slice(-6)).toEqual([
      'Done in 49.5s: 3 upgraded, 0 skipped',
      'node             from → to        outcome   upgrade  gates  connections   staged    backup',
      'emqx@127.0.0.11  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emq…',
      'emqx@127.0.0.12  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emq…',
      'emqx@127.0.0.13  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emq…',
      'MQTT: 30 clients, 0 disconnects, 1234 published, 1234 received, 0 lost',
    ]);
    expect(plain[0]).toBe('2026-11-26T21:03:00Z upgrade demo: 3 nodes, 5.10.4 → 5.10.5 (run 20261126T210300Z-4f2a)');
    expect(plain.filter((l) => / upgrade ✓ /.test(l))).toEqual([
      '2026-11-26T21:03:18Z [emqx@127.0.0.11] upgrade ✓ 3.2s upgrade complete',
      '2026-11-26T21:03:30Z [emqx@127.0.0.12] upgrade ✓ 3.2s upgrade complete',
      '2026-11-26T21:03:43Z [emqx@127.0.0.13] upgrade ✓ 3.2s upgrade complete',
    ]);
    expect(plain.at(-1)).toBe('  MQTT: 30 clients, 0 disconnects, 1234 published, 1234 received, 0 lost');
    expect(json.map((l) => JSON.parse(l))).toEqual(events);
  });

  it('halted rollout', async () => {
    const events = haltedRollout();
    const { frame, plain, json } = await allThree(events);
    const lines = frame.split('\n');
    expect(lines).toContain(
      '✗ emqx@127.0.0.12 failed    relup/current holds 5.10.4, expected 5.10.5 · 7.5s · conn 10 → 10',
    );
    expect(lines).toContain('· emqx@127.0.0.13 untouched not touched · conn 10');
    expect(lines).toContain(
      '│ HALTED at emqx@127.0.0.12 · check marker                                                         │',
    );
    expect(plain.at(-1)).toBe('  no further node was touched');
    expect(plain.some((l) => l.includes('[emqx@127.0.0.13] gate-before'))).toBe(false);
    expect(json.map((l) => JSON.parse(l))).toEqual(events);
  });
});
