import { describe, expect, it } from 'vitest';
import { renderToString } from 'ink';
import { render } from 'ink-testing-library';
import type { RolloutEvent } from '../../../src/rollout/core/events.js';
import { App } from '../../../src/ui/ink/App.js';
import { reduceAll } from '../../../src/ui/reducer.js';
import { T0, cleanRollout, haltedRollout } from '../fixtures.js';
import { stripAnsi } from '../helpers.js';

const clean = cleanRollout();
/** Events up to and including the first one matching `pred`, plus `extra` more. */
const upTo = (events: RolloutEvent[], pred: (e: RolloutEvent) => boolean, extra = 0) =>
  events.slice(0, events.findIndex(pred) + 1 + extra);
const atHalfStaged = upTo(clean, (e) => e.type === 'stage.progress' && e.bytesDone * 2 === e.bytesTotal, 2);
const inGateAfter = upTo(clean, (e) => e.type === 'gate.checked' && e.phase === 'after' && e.gate === 'cluster');

function frame(events: RolloutEvent[], columns = 100, now?: number): string {
  const { lastFrame, unmount } = render(
    <App state={reduceAll(events)} columns={columns} color={false} {...(now === undefined ? {} : { now })} />,
  );
  const f = stripAnsi(lastFrame() ?? '');
  unmount();
  return f;
}

const SETTLED_100 = [
  '· lock taken: .emqx-rollout/demo/lock',
  '⚠ warning backup-space-low: emqx@127.0.0.13: /var/backups/emqx has 2.1 GB free → free space or set …',
];

describe('App (ink-testing-library, 100 columns)', () => {
  it('staging at 50 %: bar, percentage, rate and ETA per node', () => {
    expect(frame(atHalfStaged)).toBe(
      [
        ...SETTLED_100,
        'emqx-rollout upgrade · demo · 5.10.4 → 5.10.5 · 0/3 done · 0:07',
        'run 20261126T210300Z-4f2a',
        '⠋ emqx@127.0.0.11 staging   ██████████░░░░░░░░░░  50% 8.0 MB/s ETA 5.0s',
        '⠋ emqx@127.0.0.12 staging   ██████████░░░░░░░░░░  50% 8.0 MB/s ETA 5.0s',
        '⠋ emqx@127.0.0.13 staging   ██████████░░░░░░░░░░  50% 8.0 MB/s ETA 5.0s',
        'MQTT: 30 clients, 0 disconnects, 0 published, 0 received, 0 lost',
      ].join('\n'),
    );
  });

  it('gates checklist: earlier phase as a count, the running phase check by check; others wait', () => {
    expect(frame(inGateAfter)).toBe(
      [
        ...SETTLED_100,
        'emqx-rollout upgrade · demo · 5.10.4 → 5.10.5 · 0/3 done · 0:19',
        'run 20261126T210300Z-4f2a',
        '⠋ emqx@127.0.0.11 gating    gate-after: version, relup status, marker, relup log, cluster, connecti…',
        '                  before ✓4/4 · after ✓version ✓relup-status ✓marker ✓relup-log ✓cluster',
        '· emqx@127.0.0.12 waiting   tarball uploaded, sha256 verified · conn 10',
        '· emqx@127.0.0.13 waiting   tarball uploaded, sha256 verified · conn 10',
        'MQTT: 30 clients, 0 disconnects, 0 published, 0 received, 0 lost',
      ].join('\n'),
    );
  });

  it('the live clock drives the header, the spinner frame and the node duration while running', () => {
    const f = frame(inGateAfter, 100, T0 + 83_000);
    expect(f).toContain('0/3 done · 1:23');
    // 83 000 ms / 80 ms per frame = 1037 → frame 7 of 10
    expect(f).toContain('⠧ emqx@127.0.0.11 gating');
  });

  it('done: finished nodes settled above, the summary table and the MQTT traffic line', () => {
    expect(frame(clean)).toBe(
      [
        ...SETTLED_100,
        '✓ emqx@127.0.0.11 upgraded 5.10.4 → 5.10.5 in 12.5s · gates 16/16 · conn 10 → 10',
        '✓ emqx@127.0.0.12 upgraded 5.10.4 → 5.10.5 in 12.5s · gates 16/16 · conn 10 → 10',
        '✓ emqx@127.0.0.13 upgraded 5.10.4 → 5.10.5 in 12.5s · gates 16/16 · conn 10 → 10',
        'emqx-rollout upgrade · demo · 5.10.4 → 5.10.5 · 3/3 done · 0:49',
        'run 20261126T210300Z-4f2a',
        'Done in 49.5s: 3 upgraded, 0 skipped',
        'node             from → to        outcome   upgrade  gates  connections   staged    backup',
        'emqx@127.0.0.11  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emq…',
        'emqx@127.0.0.12  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emq…',
        'emqx@127.0.0.13  5.10.4 → 5.10.5  upgraded  12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emq…',
        'MQTT: 30 clients, 0 disconnects, 1234 published, 1234 received, 0 lost',
      ].join('\n'),
    );
  });
});

describe('App at 60 columns (renderToString)', () => {
  it('halt panel: red box with the check, evidence and numbered recovery, wrapped under each number', () => {
    const f = stripAnsi(
      renderToString(<App state={reduceAll(haltedRollout())} columns={60} color={false} />, { columns: 60 }),
    );
    expect(f).toBe(
      [
        '· lock taken: .emqx-rollout/demo/lock',
        '⚠ warning backup-space-low: emqx@127.0.0.13: /var/backups/e…',
        '✓ emqx@127.0.0.11 upgraded 5.10.4 → 5.10.5 in 12.5s · gates…',
        'upgrade · demo · 5.10.4 → 5.10.5 · 1/3 done · 0:32',
        'run 20261126T210300Z-4f2a',
        '✗ emqx@127.0.0.12 failed    relup/current holds 5.10.4, exp…',
        '    before ✓4/4 · after ✓version ✓relup-status ✗marker',
        '· emqx@127.0.0.13 untouched not touched · conn 10',
        '╭──────────────────────────────────────────────────────────╮',
        '│ HALTED at emqx@127.0.0.12 · check marker                 │',
        '│ relup/current holds 5.10.4, expected 5.10.5              │',
        '│ evidence:                                                │',
        '│   $ cat /opt/emqx/relup/current                          │',
        '│   5.10.4                                                 │',
        '│   exit 0, 0.1s                                           │',
        '│ recovery:                                                │',
        '│   1. ssh to emqx@127.0.0.12 and run: emqx ctl relup      │',
        '│      status                                              │',
        '│   2. rm /opt/emqx/relup/current (only if it names the    │',
        '│      target) — the node keeps running the old code       │',
        '│   3. restart the node: /opt/emqx/bin/emqx stop &&        │',
        '│      /opt/emqx/bin/emqx start                            │',
        '│   4. re-run: emqx-rollout upgrade -i inventory.yaml      │',
        '│      --tarball                                           │',
        '│      emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz     │',
        '│      --resume                                            │',
        '│ No further node was touched.                             │',
        '╰──────────────────────────────────────────────────────────╯',
        'MQTT: 30 clients, 0 disconnects, 0 published, 0 received, 0…',
      ].join('\n'),
    );
  });

  it('no line is wider than the terminal at any point of either scenario', () => {
    for (const events of [clean, haltedRollout()]) {
      for (let k = 1; k <= events.length; k += 7) {
        const f = stripAnsi(
          renderToString(<App state={reduceAll(events.slice(0, k))} columns={60} color={false} />, { columns: 60 }),
        );
        for (const line of f.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(60);
      }
    }
  });

  it('staging at 60 columns uses a 10-cell bar and keeps the percentage visible', () => {
    const f = stripAnsi(
      renderToString(<App state={reduceAll(atHalfStaged)} columns={60} color={false} />, { columns: 60 }),
    );
    expect(f.split('\n')).toContain('⠋ emqx@127.0.0.11 staging   █████░░░░░  50% 8.0 MB/s ETA 5.…');
  });

  it('paused: a panel with the reason, the next node and how to resume', () => {
    const events: RolloutEvent[] = [
      ...clean.slice(0, 3),
      {
        ts: clean[2].ts,
        type: 'rollout.paused',
        reason: 'window closes at 05:00 before the node can finish',
        resumeHint: 'emqx-rollout upgrade -i inv.yaml --tarball t.tar.gz --resume',
        nextNode: 'emqx@127.0.0.12',
      },
    ];
    const f = stripAnsi(
      renderToString(<App state={reduceAll(events)} columns={100} color={false} />, { columns: 100 }),
    );
    expect(f).toContain('│ PAUSED: window closes at 05:00 before the node can finish');
    expect(f).toContain('│ next node: emqx@127.0.0.12');
    expect(f).toContain('│ to resume: emqx-rollout upgrade -i inv.yaml --tarball t.tar.gz --resume');
  });
});

describe('App: other commands and colour', () => {
  it('colour changes only escapes, never the layout', () => {
    const state = reduceAll(haltedRollout());
    const plain = renderToString(<App state={state} columns={80} color={false} />, { columns: 80 });
    const colored = renderToString(<App state={state} columns={80} color={true} />, { columns: 80 });
    expect(stripAnsi(colored)).toBe(stripAnsi(plain));
  });

  it('restart: a restarted node settles as "restarted into <vsn>"; a blocked plan shows the reason', () => {
    const t = (ms: number) => new Date(T0 + ms).toISOString();
    const events: RolloutEvent[] = [
      {
        ts: t(0),
        type: 'rollout.started',
        command: 'restart',
        cluster: 'demo',
        runId: 'r2',
        nodes: ['emqx@127.0.0.11', 'emqx@127.0.0.12'],
        to: '5.10.5',
      },
      {
        ts: t(1),
        type: 'preflight.finding',
        code: 'node-unreachable',
        severity: 'blocker',
        node: 'emqx@127.0.0.12',
        message: 'emqx@127.0.0.12: ssh connect ECONNREFUSED 127.0.0.12:22',
        fix: 'check sshd on the node',
      },
      {
        ts: t(2),
        type: 'step.started',
        node: 'emqx@127.0.0.11',
        step: 'restart',
        detail: '/opt/emqx/bin/emqx stop && /opt/emqx/bin/emqx start',
      },
      {
        ts: t(9_000),
        type: 'node.done',
        node: 'emqx@127.0.0.11',
        outcome: 'restarted',
        from: '5.10.5',
        to: '5.10.5',
        durationMs: 8_998,
      },
    ];
    const f = stripAnsi(
      renderToString(<App state={reduceAll(events)} columns={100} color={false} />, { columns: 100 }),
    );
    expect(f.split('\n')).toEqual([
      '✗ blocker node-unreachable: emqx@127.0.0.12: ssh connect ECONNREFUSED 127.0.0.12:22 → check sshd on…',
      '✓ emqx@127.0.0.11 restarted into 5.10.5 in 9.0s',
      'emqx-rollout restart · demo · → 5.10.5 · 1/2 done · 0:09',
      'run r2',
      '· emqx@127.0.0.12 waiting   emqx@127.0.0.12: ssh connect ECONNREFUSED 127.0.0.12:22',
    ]);
  });
});
