// A realistic event list for a 3-node 5.10.4 → 5.10.5 hot-upgrade rollout, with fixed timestamps.
// Shared: the renderer tests use it, and the engine's tests may compare their stream's shape to it.
import type { RolloutEvent, EventInput } from '../../src/rollout/core/events.js';
import type { Plan, PlanNode, ReportRow } from '../../src/rollout/core/types.js';

export const T0 = Date.parse('2026-11-26T21:03:00.000Z');
export const CLUSTER = 'demo';
export const RUN_ID = '20261126T210300Z-4f2a';
export const FROM = '5.10.4';
export const TO = '5.10.5';
export const NODES = ['emqx@127.0.0.11', 'emqx@127.0.0.12', 'emqx@127.0.0.13'] as const;
export const FILE = 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz';
export const STAGED = `/opt/upgrade/${FILE}`;
/** 80 MiB: the size class of a real 5.10 enterprise tarball. */
export const SIZE = 80 * 1024 * 1024;
export const CONNS = [10, 10, 10] as const;
export const GATES_BEFORE = ['version', 'cluster', 'relup-idle', 'sha256'] as const;
export const GATES_AFTER = ['version', 'relup-status', 'marker', 'relup-log', 'cluster', 'connections'] as const;

export const ts = (ms: number): string => new Date(T0 + ms).toISOString();

/** Builds a list with a running clock; `at(ms)` moves it (ms since T0), `ev` appends at the clock. */
function builder() {
  const out: RolloutEvent[] = [];
  let now = 0;
  return {
    out,
    at(ms: number) {
      now = ms;
    },
    ev(e: EventInput) {
      out.push({ ...e, ts: ts(now) });
    },
    get now() {
      return now;
    },
  };
}

export const backupPath = (i: number) =>
  `/var/backups/emqx/emqx-backup-${NODES[i].replace('@', '_')}-20261126T2103${String(40 + i * 7).padStart(2, '0')}Z.tar.gz`;

export function plan(): Plan {
  const steps: PlanNode['steps'] = [
    { kind: 'stage', detail: `upload ${FILE} to /opt/upgrade` },
    { kind: 'gate-before', detail: 'version, cluster, relup idle, sha256' },
    { kind: 'backup', detail: 'tar data/ etc/ log/ to /var/backups/emqx' },
    { kind: 'upgrade', detail: `emqx ctl relup upgrade ${STAGED}` },
    { kind: 'gate-after', detail: 'version, relup status, marker, relup log, cluster, connections' },
    { kind: 'soak', detail: 'wait 5s, check again' },
  ];
  return {
    schemaVersion: 2,
    cluster: CLUSTER,
    from: FROM,
    to: TO,
    tarball: {
      path: `/work/demo/${FILE}`,
      fileName: FILE,
      sha256: '3f1c9a0d5be2c4f7a8e91b6d0c2f4e6a8b0d2f4e6a8c0e2a4c6e8a0c2e4a8877',
      size: SIZE,
      version: TO,
      os: 'ubuntu22.04',
      arch: 'amd64',
      otp: '27.3.4.2-8',
    },
    fingerprint: 'b7e0c1d2',
    nodes: NODES.map((name, i) => ({
      name,
      host: `127.0.0.${11 + i}`,
      from: FROM,
      to: TO,
      action: 'upgrade',
      steps,
      findings: [],
    })),
    findings: [],
    canProceed: true,
  };
}

/** Start, observe, plan, stage all three in parallel (0 → 25 → 50 → 75 → 100 %). Ends at 12 s. */
function prologue(b: ReturnType<typeof builder>) {
  b.at(0);
  b.ev({
    type: 'rollout.started',
    command: 'upgrade',
    cluster: CLUSTER,
    runId: RUN_ID,
    nodes: [...NODES],
    from: FROM,
    to: TO,
  });
  b.ev({ type: 'log', level: 'info', message: `lock taken: .emqx-rollout/${CLUSTER}/lock` });
  b.at(1_000);
  NODES.forEach((node, i) =>
    b.ev({ type: 'node.observed', node, reachable: true, version: FROM, relupStatus: 'idle', connections: CONNS[i] }),
  );
  b.ev({
    type: 'preflight.finding',
    code: 'backup-space-low',
    severity: 'warning',
    node: NODES[2],
    message: `${NODES[2]}: /var/backups/emqx has 2.1 GB free`,
    fix: 'free space or set backupDir',
  });
  b.at(1_500);
  b.ev({ type: 'plan.ready', plan: plan() });
  b.ev({ type: 'traffic', clients: 30, connected: 30, disconnects: 0, published: 0, received: 0, lost: 0 });
  b.at(2_000);
  for (const node of NODES) b.ev({ type: 'step.started', node, step: 'stage', detail: `${FILE} → /opt/upgrade` });
  // 8 MiB/s: 80 MiB in 10 s. Each node reports every 2.5 s → 25 % steps.
  for (let k = 1; k <= 4; k++) {
    b.at(2_000 + k * 2_500);
    for (const node of NODES) {
      const done = k === 4;
      b.ev({
        type: 'stage.progress',
        node,
        file: FILE,
        bytesDone: (SIZE * k) / 4,
        bytesTotal: SIZE,
        rate: 8 * 1024 * 1024,
        done,
        ...(done ? { action: 'uploaded' as const } : {}),
      });
    }
  }
  for (const node of NODES)
    b.ev({
      type: 'step.finished',
      node,
      step: 'stage',
      ok: true,
      durationMs: 10_000,
      message: 'uploaded, sha256 verified',
    });
}

/** One node's serial turn, starting at `t0`; returns the time it ended. Fails at `failGate` if given. */
function nodeTurn(b: ReturnType<typeof builder>, i: number, t0: number, failGate?: string): number {
  const node = NODES[i];
  let t = t0;
  const step = (
    s: 'gate-before' | 'backup' | 'upgrade' | 'gate-after' | 'soak',
    ms: number,
    detail: string,
    body?: () => boolean | void,
  ) => {
    b.at(t);
    b.ev({ type: 'step.started', node, step: s, detail });
    t += ms;
    b.at(t);
    const ok = body ? body() !== false : true;
    return { ok, ms };
  };
  const finish = (
    s: 'gate-before' | 'backup' | 'upgrade' | 'gate-after' | 'soak',
    r: { ok: boolean; ms: number },
    message?: string,
  ) => b.ev({ type: 'step.finished', node, step: s, ok: r.ok, durationMs: r.ms, ...(message ? { message } : {}) });

  let r = step('gate-before', 800, 'version, cluster, relup idle, sha256', () => {
    for (const g of GATES_BEFORE)
      b.ev({ type: 'gate.checked', node, gate: g, phase: 'before', ok: true, message: gateMsg(g, i, 'before') });
  });
  finish('gate-before', r);
  r = step('backup', 2_400, `tar czf ${backupPath(i)} data etc log`);
  finish('backup', r, backupPath(i));
  r = step('upgrade', 3_200, `emqx ctl relup upgrade ${STAGED}`);
  finish('upgrade', r, 'upgrade complete');
  let failed = false;
  r = step('gate-after', 1_100, 'version, relup status, marker, relup log, cluster, connections', () => {
    for (const g of GATES_AFTER) {
      const ok = g !== failGate;
      b.ev({
        type: 'gate.checked',
        node,
        gate: g,
        phase: 'after',
        ok,
        message: ok ? gateMsg(g, i, 'after') : `relup/current holds 5.10.4, expected ${TO}`,
        ...(ok ? {} : { evidence: ['$ cat /opt/emqx/relup/current', '5.10.4', 'exit 0, 0.1s'] }),
      });
      if (!ok) {
        failed = true;
        return false;
      }
    }
    return true;
  });
  finish('gate-after', r, failed ? `gate marker failed` : undefined);
  if (failed) return t;
  r = step('soak', 5_000, 'wait 5s, check again', () => {
    for (const g of GATES_AFTER)
      b.ev({ type: 'gate.checked', node, gate: g, phase: 'soak', ok: true, message: gateMsg(g, i, 'soak') });
  });
  finish('soak', r);
  b.ev({
    type: 'node.observed',
    node,
    reachable: true,
    version: TO,
    relupStatus: `hot-upgraded to ${TO}`,
    connections: CONNS[i],
  });
  b.ev({
    type: 'node.done',
    node,
    outcome: 'upgraded',
    from: FROM,
    to: TO,
    durationMs: t - t0,
    connectionsBefore: CONNS[i],
    connectionsAfter: CONNS[i],
  });
  return t;
}

function gateMsg(g: string, i: number, phase: 'before' | 'after' | 'soak'): string {
  switch (g) {
    case 'version':
      return `running ${phase === 'before' ? FROM : TO}`;
    case 'cluster':
      return '3/3 nodes running';
    case 'relup-idle':
      return 'relup status: idle';
    case 'sha256':
      return 'staged sha256 matches sidecar';
    case 'relup-status':
      return `hot-upgraded to ${TO}`;
    case 'marker':
      return `relup/current holds ${TO}`;
    case 'relup-log':
      return 'newest row: success';
    case 'connections':
      return `${CONNS[i]} → ${CONNS[i]} connections`;
    default:
      return 'ok';
  }
}

/** 12.5 s per node turn: 0.8 + 2.4 + 3.2 + 1.1 + 5.0. */
export const TURN_MS = 12_500;

export function rows(outcomes: ReportRow['outcome'][] = ['upgraded', 'upgraded', 'upgraded']): ReportRow[] {
  return NODES.map((node, i): ReportRow => {
    const o = outcomes[i];
    const touched = o === 'upgraded' || o === 'failed';
    return {
      node,
      from: FROM,
      to: o === 'upgraded' ? TO : o === 'failed' ? TO : null,
      outcome: o,
      staged: 'uploaded',
      ...(touched ? { backup: backupPath(i) } : {}),
      ...(o === 'upgraded' ? { durationMs: TURN_MS } : o === 'failed' ? { durationMs: 7_500 } : {}),
      gatesPassed: o === 'upgraded' ? 16 : o === 'failed' ? 6 : 0,
      gatesTotal: o === 'untouched' ? 0 : 16,
      ...(o === 'upgraded' ? { connectionsBefore: CONNS[i], connectionsAfter: CONNS[i] } : {}),
    };
  });
}

/** The clean run: all three upgraded, 30 MQTT clients untouched. Ends at 49.5 s. */
export function cleanRollout(): RolloutEvent[] {
  const b = builder();
  prologue(b);
  let t = 12_000;
  for (let i = 0; i < NODES.length; i++) {
    t = nodeTurn(b, i, t);
    b.ev({
      type: 'traffic',
      clients: 30,
      connected: 30,
      disconnects: 0,
      published: 412 * (i + 1),
      received: 412 * (i + 1),
      lost: 0,
    });
  }
  b.ev({ type: 'traffic', clients: 30, connected: 30, disconnects: 0, published: 1234, received: 1234, lost: 0 });
  b.ev({ type: 'rollout.done', rows: rows(), durationMs: t });
  return b.out;
}

export const HALT_RECOVERY = [
  `ssh to ${NODES[1]} and run: emqx ctl relup status`,
  'rm /opt/emqx/relup/current (only if it names the target) — the node keeps running the old code',
  `restart the node: /opt/emqx/bin/emqx stop && /opt/emqx/bin/emqx start`,
  `re-run: emqx-rollout upgrade -i inventory.yaml --tarball ${FILE} --resume`,
];

/** Node 1 upgraded; node 2 fails the `marker` gate after its upgrade; node 3 is never touched. */
export function haltedRollout(): RolloutEvent[] {
  const b = builder();
  prologue(b);
  let t = nodeTurn(b, 0, 12_000);
  t = nodeTurn(b, 1, t, 'marker');
  b.at(t);
  b.ev({
    type: 'rollout.halted',
    node: NODES[1],
    check: 'marker',
    message: `relup/current holds 5.10.4, expected ${TO}`,
    evidence: ['$ cat /opt/emqx/relup/current', '5.10.4', 'exit 0, 0.1s'],
    recovery: HALT_RECOVERY,
  });
  return b.out;
}
