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
  | { readonly t: 'exec-end'; readonly node: string; readonly command: string }
  | { readonly t: 'stage'; readonly node: string; readonly file: string }
  | { readonly t: 'stage-end'; readonly node: string; readonly file: string; readonly ok: boolean }
  | { readonly t: 'commit'; readonly record: DurableRecord };

/** Per node: what its upload does before (or instead of) the real one (slow links, failures). */
type StageHook = (node: string, remotePath: string, steps: readonly Step[]) => Promise<void>;

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
function recording(h: RemoteHost, steps: Step[], hook?: StageHook): RemoteHost {
  return {
    node: h.node,
    exec: async (command: string, opts?: ExecOptions) => {
      steps.push({ t: 'exec', node: h.node, command });
      const r = await h.exec(command, opts);
      steps.push({ t: 'exec-end', node: h.node, command });
      return r;
    },
    stage: async (local, remote, sha, o) => {
      steps.push({ t: 'stage', node: h.node, file: remote });
      try {
        await hook?.(h.node, remote, steps);
        const r = await h.stage(local, remote, sha, o);
        steps.push({ t: 'stage-end', node: h.node, file: remote, ok: true });
        return r;
      } catch (e) {
        steps.push({ t: 'stage-end', node: h.node, file: remote, ok: false });
        throw e;
      }
    },
    openTcp: (...a) => h.openTcp(...a),
    close: () => h.close(),
  };
}

async function run(failAt?: (r: DurableRecord) => boolean, hook?: StageHook) {
  const steps: Step[] = [];
  const events: EventInput[] = [];
  const { hosts, failures } = await openHostsSettled(inv.nodes, {});
  expect([...failures.keys()]).toEqual([]);
  const ctl = new AbortController();
  const ctx: RunContext = {
    inv,
    runId: `seq-${Date.now()}`,
    hosts: new Map([...hosts].map(([k, h]) => [k, recording(h, steps, hook)])),
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
    stageConcurrency: hook ? 1 : 2,
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

/** The cluster is at the target after a run; a fresh one is needed for another hop. */
async function fresh() {
  await c.stop();
  await rm(dir, { recursive: true, force: true });
  dir = await mkdtemp(join(tmpdir(), 'engine-seq-'));
  c = await startSimCluster({ dir, nodes: 2, soakSeconds: 0, timeoutSeconds: 60 });
  inv = await loadInventory(c.inventoryPath, { home: dir, cwd: dir });
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
    await fresh();
    const [n1, n2] = inv.nodes.map((n) => n.name);
    const { res, steps, events } = await run((r) => r.kind === 'node.gated' && r.node === n1);
    expect(res.outcome).toBe('halted');
    expect(res.error).toBeInstanceOf(JournalUnwritableError);
    expect(res.error?.message).toMatch(/journal .* cannot be written \(ENOSPC\)/);
    expect(steps.some((s) => isHop(s, n2))).toBe(false);
    expect(steps.some((s) => s.t === 'exec' && s.node === n2 && isBackup(s))).toBe(false);
    expect(events.filter((e) => e.type === 'rollout.halted')).toHaveLength(1);
  }, 180_000);

  it("pipeline: node 1 is gated and upgraded while node 2 still uploads; node 2 is admitted only on facts observed after node 1's hop", async () => {
    await fresh();
    const [n1, n2] = inv.nodes.map((n) => n.name);
    // Node 2's link is slow: its upload starts only once node 1's hop is under way (or after 60 s,
    // when an engine that waits for every upload would have deadlocked, and the assertions fail).
    const { res, steps } = await run(undefined, async (node, remote, sofar) => {
      const until = Date.now() + 60_000;
      if (node === n2 && !remote.endsWith('.sha256'))
        while (!sofar.some((s) => isHop(s, n1)) && Date.now() < until) await realSleep(100);
    });
    expect(res.outcome, JSON.stringify(res.error?.message)).toBe('done');
    const n2StageEnd = steps.findIndex((s) => s.t === 'stage-end' && s.node === n2 && !s.file.endsWith('.sha256'));
    const n1Hop = steps.findIndex((s) => isHop(s, n1));
    expect(n1Hop, "node 1's hop before node 2's upload ended").toBeLessThan(n2StageEnd);
    // Invariant 1: node 2 changes only after node 1's gates passed (node.gated is durable).
    const n2FirstChange = steps.findIndex((s) => s.t === 'exec' && s.node === n2 && (isBackup(s) || isHop(s, n2)));
    expect(commitOf(steps, 'node.gated', n1)).toBeLessThan(n2FirstChange);
    // Invariant 2: every node-2 probe of its gate-before (ctl status) started after node 1's hop ended.
    const n1HopEnd = steps.findIndex(
      (s) => s.t === 'exec-end' && s.node === n1 && /ctl relup upgrade /.test(s.command),
    );
    const lastObservation = steps
      .map((s, i) => ({ s, i }))
      .filter(({ s, i }) => s.t === 'exec' && s.node === n2 && / ctl status/.test(s.command) && i < n2FirstChange)
      .at(-1)!.i;
    expect(lastObservation).toBeGreaterThan(n1HopEnd);
    // Invariant 3: node 2's staged check (size + sidecar) ran after its upload ended.
    const n2Staged = steps.findIndex((s) => s.t === 'exec' && s.node === n2 && /echo "size \$\(wc -c/.test(s.command));
    expect(n2Staged).toBeGreaterThan(n2StageEnd);
  }, 180_000);

  it('pipeline: a staging failure on node 2 while node 1 is upgraded stops the chain before node 2 is touched', async () => {
    await fresh();
    const [n1, n2] = inv.nodes.map((n) => n.name);
    const { res, steps } = await run(undefined, async (node, remote, sofar) => {
      if (node === n2 && !remote.endsWith('.sha256')) {
        // The upload breaks once node 1's hop is under way (however slow this machine is today).
        while (!sofar.some((s) => isHop(s, n1))) await realSleep(100);
        throw new Error('simulated: connection reset during upload');
      }
    });
    expect(res.outcome).toBe('halted');
    expect(res.error?.message).toMatch(/staging failed: .*connection reset/);
    expect(steps.filter((s) => isHop(s, n1))).toHaveLength(1);
    expect(steps.some((s) => isHop(s, n2) || (s.t === 'exec' && s.node === n2 && isBackup(s)))).toBe(false);
    expect(res.rows.find((r) => r.node === n1)?.outcome).toBe('upgraded');
  }, 180_000);
});
