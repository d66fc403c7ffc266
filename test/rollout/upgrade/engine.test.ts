// The upgrade engine's sequencing, driven in-process: the engine gets a RunContext built here and a
// RemoteHost of our own (a recording host that implements the real interface and passes every call
// on to a simulated node over our real SSH connection: no ssh2 stub), so the test sees one timeline
// of remote commands and journal commits, and can make the journal fail at any record.
//
// The invariants checked: the lock comes before any change; a node's `upgrade.begin` is durable
// before its `relup upgrade` leaves; its `node.gated` is durable before the next node is touched;
// and when a durable record cannot be written, no further command that changes a node runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRelease } from '../../../src/cli/release.js';
import { loadInventory } from '../../../src/inventory/load.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { openHostsSettled } from '../../../src/remote/host.js';
import type { ExecOptions, RemoteHost } from '../../../src/remote/types.js';
import { realSleep, type RunContext } from '../../../src/rollout/core/context.js';
import type { EventInput } from '../../../src/rollout/core/events.js';
import { JournalUnwritableError } from '../../../src/rollout/state/journal.js';
import type { DurableRecord } from '../../../src/rollout/state/records.js';
import { runUpgrade, type UpgradeOptions } from '../../../src/rollout/upgrade/engine.js';
import { startSimCluster, type SimCluster } from '../../../src/sim/cluster.js';

type Step =
  | { readonly t: 'exec'; readonly node: string; readonly command: string }
  | { readonly t: 'commit'; readonly record: DurableRecord };

let c: SimCluster;
let dir: string;
let inv: Inventory;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-seq-'));
  c = await startSimCluster({ dir, nodes: 2, soakSeconds: 0, timeoutSeconds: 60 });
  inv = await loadInventory(c.inventoryPath, { home: dir, cwd: dir });
}, 120_000);

afterAll(async () => {
  await c?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A RemoteHost that records every exec into the shared timeline before passing it on. */
function recording(h: RemoteHost, steps: Step[]): RemoteHost {
  return {
    node: h.node,
    exec: (command: string, opts?: ExecOptions) => {
      steps.push({ t: 'exec', node: h.node, command });
      return h.exec(command, opts);
    },
    stage: (...a) => h.stage(...a),
    openTcp: (...a) => h.openTcp(...a),
    close: () => h.close(),
  };
}

async function run(failAt?: (r: DurableRecord) => boolean) {
  const steps: Step[] = [];
  const events: EventInput[] = [];
  const { hosts, failures } = await openHostsSettled(inv.nodes, {});
  expect([...failures.keys()]).toEqual([]);
  const ctl = new AbortController();
  const ctx: RunContext = {
    inv,
    runId: `seq-${Date.now()}`,
    hosts: new Map([...hosts].map(([k, h]) => [k, recording(h, steps)])),
    unreachable: new Map(),
    emit: (e) => events.push(e),
    now: () => new Date(),
    sleep: realSleep,
    signal: ctl.signal,
    stopRequested: () => false,
    commit: async (r) => {
      if (failAt?.(r))
        throw new JournalUnwritableError(
          '/state/journal.ndjson',
          r.kind,
          Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }),
        );
      steps.push({ t: 'commit', record: r });
    },
    note: () => undefined,
  };
  const release = await loadRelease(c.tarballPath, dir);
  const opts: UpgradeOptions = {
    tarball: release.tarball,
    sidecar: release.sidecar,
    force: false,
    noBackup: false,
    pauseAfter: null,
    window: undefined,
    windowMode: 'ignore',
    stageConcurrency: 2,
    confirm: async () => true,
    lock: {
      owner: {
        runId: ctx.runId,
        cluster: inv.cluster,
        command: 'upgrade',
        user: 't',
        host: 'h',
        pid: process.pid,
        startedAt: '',
      },
      breakLock: false,
      pidAlive: () => true,
    },
    inFlight: new Map(),
    ungated: new Map(),
    resumeOf: null,
  };
  try {
    const res = await runUpgrade(ctx, opts);
    return { res, steps, events };
  } finally {
    await Promise.all([...hosts.values()].map((h) => h.close()));
  }
}

const isLock = (s: Step) => s.t === 'exec' && /set -C/.test(s.command);
const isHop = (s: Step, node: string) => s.t === 'exec' && s.node === node && /ctl relup upgrade /.test(s.command);
const isBackup = (s: Step) => s.t === 'exec' && /tar -czf/.test(s.command);
const commitOf = (steps: Step[], kind: DurableRecord['kind'], node?: string) =>
  steps.findIndex(
    (s) =>
      s.t === 'commit' &&
      s.record.kind === kind &&
      (node === undefined || ('node' in s.record && s.record.node === node)),
  );

describe('runUpgrade sequencing (in-process, recording host)', () => {
  it('lock before any change; begin durable before each hop; gated durable before the next node', async () => {
    const { res, steps } = await run();
    expect(res.outcome, JSON.stringify(res.error?.message)).toBe('done');
    const [n1, n2] = inv.nodes.map((n) => n.name);
    const firstLock = steps.findIndex(isLock);
    const firstChange = steps.findIndex((s) => isBackup(s) || isHop(s, n1) || isHop(s, n2));
    expect(firstLock).toBeGreaterThanOrEqual(0);
    expect(firstLock).toBeLessThan(firstChange);
    expect(commitOf(steps, 'run.meta')).toBeLessThan(firstChange);
    for (const n of [n1, n2]) {
      expect(commitOf(steps, 'upgrade.begin', n)).toBeLessThan(steps.findIndex((s) => isHop(s, n)));
      expect(commitOf(steps, 'upgrade.end', n)).toBeGreaterThan(steps.findIndex((s) => isHop(s, n)));
    }
    // node 1 proven before anything runs on node 2 after its gate-before's read-only commands: the
    // first command that changes node 2 (its backup) comes after node 1's node.gated.
    const n2FirstChange = steps.findIndex((s) => s.t === 'exec' && s.node === n2 && (isBackup(s) || isHop(s, n2)));
    expect(commitOf(steps, 'node.gated', n1)).toBeLessThan(n2FirstChange);
    expect(steps.filter((s) => isHop(s, n1))).toHaveLength(1);
    expect(steps.filter((s) => isHop(s, n2))).toHaveLength(1);
  }, 180_000);

  it("a journal that fails at node 1's node.gated halts the run: nothing further changes a node", async () => {
    // The cluster is at the target now; a fresh one is needed for a second hop.
    await c.stop();
    await rm(dir, { recursive: true, force: true });
    dir = await mkdtemp(join(tmpdir(), 'engine-seq-'));
    c = await startSimCluster({ dir, nodes: 2, soakSeconds: 0, timeoutSeconds: 60 });
    inv = await loadInventory(c.inventoryPath, { home: dir, cwd: dir });
    const [n1, n2] = inv.nodes.map((n) => n.name);
    const { res, steps, events } = await run((r) => r.kind === 'node.gated' && r.node === n1);
    expect(res.outcome).toBe('halted');
    expect(res.error).toBeInstanceOf(JournalUnwritableError);
    expect(res.error?.message).toMatch(/journal .* cannot be written \(ENOSPC\)/);
    expect(steps.some((s) => isHop(s, n2))).toBe(false);
    expect(steps.some((s) => s.t === 'exec' && s.node === n2 && isBackup(s))).toBe(false);
    expect(events.filter((e) => e.type === 'rollout.halted')).toHaveLength(1);
  }, 180_000);
});
