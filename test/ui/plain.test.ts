import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/rollout/core/events.js';
import { PlainFormatter, createPlainRenderer } from '../../src/ui/plain.js';
import { FILE, NODES, SIZE, cleanRollout, haltedRollout, ts } from './fixtures.js';
import { lineSink } from './helpers.js';

function run(events: RolloutEvent[], color = false): string[] {
  const sink = lineSink();
  const r = createPlainRenderer(sink.out, { color });
  for (const e of events) r.onEvent(e);
  return sink.lines();
}

describe('plain renderer', () => {
  it('one timestamped line per step result, in the documented shape', () => {
    const lines = run(cleanRollout());
    expect(lines).toContain('2026-11-26T21:03:18Z [emqx@127.0.0.11] upgrade ✓ 3.2s upgrade complete');
    expect(lines).toContain('2026-11-26T21:03:00Z upgrade demo: 3 nodes, 5.10.4 → 5.10.5 (run 20261126T210300Z-4f2a)');
    expect(lines).toContain(
      '2026-11-26T21:03:24Z [emqx@127.0.0.11] upgraded 5.10.4 → 5.10.5 in 12.5s, connections 10 → 10',
    );
    for (const l of lines) expect(l).toMatch(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ | {2})/);
  });

  it('rollout.started before the from-version is known shows only the target, never "? →"', () => {
    const started = (from?: string | null): RolloutEvent => ({
      ts: ts(0),
      type: 'rollout.started',
      command: 'upgrade',
      cluster: 'sim',
      runId: 'r1',
      nodes: [...NODES],
      ...(from === undefined ? {} : { from }),
      to: '5.10.5',
    });
    expect(run([started()])).toEqual(['2026-11-26T21:03:00Z upgrade sim: 3 nodes, → 5.10.5 (run r1)']);
    expect(run([started(null)])).toEqual(['2026-11-26T21:03:00Z upgrade sim: 3 nodes, → 5.10.5 (run r1)']);
    expect(run([started('5.10.4')])).toEqual(['2026-11-26T21:03:00Z upgrade sim: 3 nodes, 5.10.4 → 5.10.5 (run r1)']);
  });

  it('staging progress only at 25/50/75/100 %, however many chunks arrive', () => {
    const events: RolloutEvent[] = [];
    // 200 chunk events from 0.5 % to 100 %
    for (let k = 1; k <= 200; k++) {
      events.push({
        ts: ts(k * 50),
        type: 'stage.progress',
        node: NODES[0],
        file: FILE,
        bytesDone: (SIZE * k) / 200,
        bytesTotal: SIZE,
        rate: 8 << 20,
        done: k === 200,
        ...(k === 200 ? { action: 'uploaded' as const } : {}),
      });
    }
    expect(run(events)).toEqual([
      '2026-11-26T21:03:02Z [emqx@127.0.0.11] stage 25% (20.0 MB / 80.0 MB, 8.0 MB/s)',
      '2026-11-26T21:03:05Z [emqx@127.0.0.11] stage 50% (40.0 MB / 80.0 MB, 8.0 MB/s)',
      '2026-11-26T21:03:07Z [emqx@127.0.0.11] stage 75% (60.0 MB / 80.0 MB, 8.0 MB/s)',
      '2026-11-26T21:03:10Z [emqx@127.0.0.11] stage 100% uploaded (80.0 MB, 8.0 MB/s)',
    ]);
  });

  it('every byte sent but not yet verified prints no mark (no "75%" for a finished upload); the done line does', () => {
    const p = (bytesDone: number, done: boolean) =>
      ({
        ts: ts(0),
        type: 'stage.progress',
        node: NODES[0],
        file: FILE,
        bytesDone,
        bytesTotal: SIZE,
        rate: 1e6,
        done,
        ...(done ? { action: 'uploaded' } : {}),
      }) as RolloutEvent;
    const lines = run([p(SIZE, false), p(SIZE, true)]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/stage 100% uploaded/);
  });

  it('an already-present tarball is one line', () => {
    expect(
      run([
        {
          ts: ts(0),
          type: 'stage.progress',
          node: NODES[1],
          file: FILE,
          bytesDone: SIZE,
          bytesTotal: SIZE,
          rate: 0,
          done: true,
          action: 'present',
        },
      ]),
    ).toEqual([`2026-11-26T21:03:00Z [emqx@127.0.0.12] stage ${FILE}: already present, sha256 verified`]);
  });

  it('halt: indented evidence and numbered recovery', () => {
    const lines = run(haltedRollout());
    const i = lines.findIndex((l) => l.includes('HALTED'));
    expect(lines.slice(i)).toEqual([
      '2026-11-26T21:03:32Z HALTED emqx@127.0.0.12 marker: relup/current holds 5.10.4, expected 5.10.5',
      '  evidence:',
      '    $ cat /opt/emqx/relup/current',
      '    5.10.4',
      '    exit 0, 0.1s',
      '  recovery:',
      '    1. ssh to emqx@127.0.0.12 and run: emqx ctl relup status',
      '    2. rm /opt/emqx/relup/current (only if it names the target) — the node keeps running the old code',
      '    3. restart the node: /opt/emqx/bin/emqx stop && /opt/emqx/bin/emqx start',
      '    4. re-run: emqx-rollout upgrade -i inventory.yaml --tarball emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz --resume',
      '  no further node was touched',
    ]);
    // the failing gate carries its evidence too
    expect(lines).toContain(
      '2026-11-26T21:03:32Z [emqx@127.0.0.12] gate after marker ✗ relup/current holds 5.10.4, expected 5.10.5',
    );
  });

  it('done: aligned summary table and the MQTT line', () => {
    const lines = run(cleanRollout());
    const i = lines.findIndex((l) => l.endsWith(' done in 49.5s'));
    expect(lines.slice(i)).toEqual([
      '2026-11-26T21:03:49Z done in 49.5s',
      '  node             from → to        outcome   upgrade  gates  connections   staged    backup',
      '  emqx@127.0.0.11  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emqx_127.0.0.11-20261126T210340Z.tar.gz',
      '  emqx@127.0.0.12  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emqx_127.0.0.12-20261126T210347Z.tar.gz',
      '  emqx@127.0.0.13  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emqx_127.0.0.13-20261126T210354Z.tar.gz',
      '  MQTT: 30 clients, 0 disconnects, 1234 published, 1234 received, 0 lost',
    ]);
  });

  it('repeated observations and growing traffic counters are not news', () => {
    const obs: RolloutEvent = {
      ts: ts(0),
      type: 'node.observed',
      node: NODES[0],
      reachable: true,
      version: '5.10.4',
      relupStatus: 'idle',
      connections: 10,
    };
    const tr = (published: number, connected = 30): RolloutEvent => ({
      ts: ts(published),
      type: 'traffic',
      clients: 30,
      connected,
      disconnects: 30 - connected,
      published,
      received: published,
      lost: 0,
    });
    expect(run([obs, obs, { ...obs, connections: 9 }, tr(1), tr(2), tr(3, 28)])).toEqual([
      '2026-11-26T21:03:00Z [emqx@127.0.0.11] observed: 5.10.4, relup idle, 10 connections',
      '2026-11-26T21:03:00Z [emqx@127.0.0.11] observed: 5.10.4, relup idle, 9 connections',
      '2026-11-26T21:03:00Z MQTT: 30 clients, 0 disconnects, 1 published, 1 received, 0 lost',
      '2026-11-26T21:03:00Z MQTT: 30 clients (28 connected), 2 disconnects, 3 published, 3 received, 0 lost',
    ]);
  });

  it('no ANSI escapes unless color is asked for; with color, ✓/✗ and HALTED are coloured', () => {
    const plain = run(haltedRollout()).join('\n');
    expect(plain).not.toMatch(/\u001b\[/);
    const colored = run(haltedRollout(), true).join('\n');
    expect(colored).toContain('\u001b[32m✓\u001b[39m');
    expect(colored).toContain('\u001b[31m\u001b[1mHALTED\u001b[22m\u001b[39m');
  });

  it('findings, paused and warnings', () => {
    const f = new PlainFormatter({ color: false });
    expect(
      f.format({
        ts: ts(0),
        type: 'preflight.finding',
        code: 'hop-unsupported',
        severity: 'blocker',
        node: NODES[0],
        message: '5.10.3 → 5.10.5 is not a supported hop',
        fix: 'upgrade to 5.10.4 first',
      }),
    ).toEqual([
      '2026-11-26T21:03:00Z [emqx@127.0.0.11] blocker hop-unsupported: 5.10.3 → 5.10.5 is not a supported hop (fix: upgrade to 5.10.4 first)',
    ]);
    expect(
      f.format({
        ts: ts(0),
        type: 'rollout.paused',
        reason: 'window closed',
        resumeHint: 'emqx-rollout upgrade --resume',
        nextNode: NODES[1],
      }),
    ).toEqual([
      '2026-11-26T21:03:00Z PAUSED: window closed',
      '  next node: emqx@127.0.0.12',
      '  to resume: emqx-rollout upgrade --resume',
    ]);
    expect(f.format({ ts: ts(0), type: 'log', level: 'warn', message: 'backups disabled (--no-backup)' })).toEqual([
      '2026-11-26T21:03:00Z warning: backups disabled (--no-backup)',
    ]);
  });
});
