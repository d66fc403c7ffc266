// The fault matrix, as data: one row per case. To add a failure shape (e.g. a new simulator fault),
// add a row here — its id, what goes wrong, the fault to inject, and what must happen: the exit code
// and where every node must end. The harness (harness.ts) judges the rest the same way for every
// row: nodes wrongly touched, data lost, journal and report truthful.
import type { Faults } from '../../src/sim/faults.js';
import type { CliEvent } from '../e2e/support/crashCli.js';
import type { NodeEnd, ReliabilityCase } from './harness.js';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { relupRows } from '../e2e/support/crashCli.js';
import { addGateCommands, cleanUpgrade, clockStepAt, mountTmpfs, umount, viaJumpHostKilledAt } from './drives.js';
import { killSshdDuringUpload } from './sshdUpload.js';

const N2 = 2;
/** Halted at node 2 of 3: node 1 done, node 2 failed (wherever its fault left it), node 3 untouched. */
const HALT_AT_2: readonly NodeEnd[] = ['to', 'any', 'from'];
const UNTOUCHED: readonly NodeEnd[] = ['from', 'from', 'from'];
const ALL_DONE: readonly NodeEnd[] = ['to', 'to', 'to'];
/** Boot windows of a real node (facts A5), counted from its last boot. */
const BOOT_WINDOWS = { bootInitializingMs: 2000, bootNoCommandsMs: 1000, bootRelupMissingMs: 2000 } as const;

/** Simulator faults caught at preflight: exit 3, nothing changed anywhere (not even a lock or a staged file). */
const PREFLIGHT: Array<[string, string, Partial<Faults>]> = [
  ['sim-plugin-stopped', 'emqx_relup plugin installed but stopped', { pluginStopped: true }],
  ['sim-plugin-missing', 'emqx_relup plugin not installed', { pluginMissing: true }],
  ['sim-plugin-1.0.0', 'plugin 1.0.0: empty catalog, no hop', { pluginVersion: '1.0.0' }],
  ['sim-unsupported-path', 'the catalog lacks the hop', { unsupportedPath: true }],
  ['sim-stale-patches', 'stale data/patches/*.beam', { stalePatches: true }],
  ['sim-node-down', 'node not running', { nodeDown: true }],
  ['sim-relup-not-writable', '<RootDir>/relup not writable', { relupNotWritable: true }],
  ['sim-disk-full', 'disk full on the node (4 KiB free)', { diskFull: 4 }],
];

/** Simulator faults during or after the hop on node 2: exit 4, node 3 untouched. */
const HALTING: Array<[string, string, Partial<Faults>, Partial<ReliabilityCase>?]> = [
  ['sim-sha-mismatch', "node's sha256 of the staged tarball disagrees (corrupted copy)", { shaMismatch: true }],
  ['sim-crash-code-change', 'exception in code_change: VM restarts on the old tree', { crashDuringCodeChange: true }],
  ['sim-not-running-after', 'node stops right after a successful hop', { notRunningAfterUpgrade: true }],
  [
    'sim-drop-connections',
    'the hop drops every MQTT connection (3 clients)',
    { dropConnectionsOnUpgrade: true },
    { clients: { node: N2, count: 3 } },
  ],
];

/** Node 2 restarted just before the run: it is inside its boot windows at preflight (exit 3, nothing changed). */
const BOOTING: ReliabilityCase = {
  id: 'sim-booting-at-preflight',
  group: 'simulator fault (real install)',
  fault: 'node 2 restarted just before the run and still booting: "Command table is initializing." for 30 s',
  // long enough that preflight meets it however slow the machine (a 10 s window was missed under load)
  faults: [{ node: N2, faults: { bootInitializingMs: 30_000, bootNoCommandsMs: 2000, bootRelupMissingMs: 2000 } }],
  prepare: async ({ c }) => {
    const n = c.nodes[1];
    const env = { ...process.env, TMPDIR: n.tmpDir };
    execFileSync(join(n.rootDir, 'bin', 'emqx'), ['stop'], { env, stdio: 'ignore', timeout: 30_000 });
    execFileSync(join(n.rootDir, 'bin', 'emqx'), ['start'], { env, stdio: 'ignore', timeout: 30_000 });
  },
  expect: { exit: 3, nodes: UNTOUCHED },
  checks: function namesBooting({ runs, c }) {
    const h = halt(runs[0]);
    return JSON.stringify(h?.evidence ?? []).includes(`[node-booting] ${c.nodes[1].name}`)
      ? []
      : [`first run: expected a node-booting blocker for ${c.nodes[1].name}, got ${JSON.stringify(h?.evidence)}`];
  },
};

/** The failure shapes of real installs (facts A2, A4, A5), during the hop on node 2. */
/** The boot windows count from the node's last boot: let those of the cluster's start pass. */
const afterStartupBoot = (): Promise<void> => new Promise((r) => setTimeout(r, 5500));
const REAL_INSTALL: Array<[string, string, Partial<Faults>, Partial<ReliabilityCase>?]> = [
  [
    'sim-deploy-fails',
    '`cp -Rp` into relup/<T>/ fails (ENOSPC): empty output, exit 1, log row stays in-progress, no code change',
    { deployFails: true },
  ],
  [
    'sim-marker-write-fails',
    'writing relup/current fails after the code change: empty output, exit 1, the node runs the target, no marker',
    { markerWriteFails: true },
  ],
  [
    'sim-vm-restart-empty-output',
    'code_change crashes, the VM restarts on the old tree and the caller sees empty output (exit 1)',
    { crashDuringCodeChange: true, vmRestartEmptyOutput: true },
  ],
  [
    'sim-low-memory',
    'MemAvailable 2 KiB, below the 3 KiB tarball: the VM runs out of memory hashing it and goes down',
    { memLowKb: 2 },
  ],
  [
    'sim-vm-restart-boot-windows',
    'code_change crashes; the restarted VM answers "Command table is initializing." 2 s, "No commands available." 1 s, no `relup` 2 s',
    { crashDuringCodeChange: true, ...BOOT_WINDOWS },
    { prepare: afterStartupBoot },
  ],
];

/**
 * A node whose `relup upgrade` does not return within the deadline: the deadline fires, the run halts
 * with the node's state unknown (journal: upgrade.begin, no verdict), and the re-run re-observes it —
 * the hop finished in the VM meanwhile — instead of sending it again.
 */
const DEADLINE: ReliabilityCase = {
  id: 'deadline-never-returns',
  group: 'remote',
  fault: '`relup upgrade` on node 2 outlives timeoutSeconds (3 s; the VM takes 8 s); then a re-run',
  timeoutSeconds: 3,
  faults: [{ node: N2, faults: { slowUpgradeSeconds: 8 } }],
  rerun: true,
  expect: { exit: 4, rerunExit: 0, nodes: ALL_DONE },
  checks: ({ runs, journal, c }) => {
    const out: string[] = [];
    const h = runs[0]?.events.find((e) => e.type === 'rollout.halted');
    if (
      h?.node !== c.nodes[1].name ||
      h.check !== 'upgrade' ||
      !/timed out|deadline/.test(`${String(h.message)} ${JSON.stringify(h.evidence)}`)
    ) {
      out.push(`first run: expected a halt on ${c.nodes[1].name} at the upgrade deadline, got ${JSON.stringify(h)}`);
    }
    const first = journal.find((r) => r.kind === 'run.start')?.runId;
    const n2 = c.nodes[1].name;
    const ended = journal.some((r) => r.kind === 'upgrade.end' && r.node === n2 && r.runId === first);
    if (ended) out.push('first run: recorded a verdict for node 2 although its state was unknown at the deadline');
    const again =
      runs[1]?.events.filter((e) => e.type === 'step.started' && e.step === 'upgrade' && e.node === n2) ?? [];
    if (again.length > 0) out.push('re-run: sent node 2 a second `relup upgrade` instead of re-observing it');
    return out;
  },
};

/** Real OpenSSH sshd of node 2 killed while the tarball streams to it; the re-run resumes the .part. */
const SSHD_UPLOAD: ReliabilityCase = {
  id: 'sshd-killed-during-upload',
  group: 'remote',
  fault: "node 2's OpenSSH sshd (listener and sessions) SIGKILLed mid-upload of a 48 MiB tarball; then a re-run",
  padBytes: 48 * 1024 * 1024,
  drive: killSshdDuringUpload,
  rerun: true,
  expect: { exit: 4, rerunExit: 0, nodes: ALL_DONE },
  checks: ({ runs, c }) => {
    const out: string[] = [];
    const n2 = c.nodes[1].name;
    const h = runs[0]?.events.find((e) => e.type === 'rollout.halted');
    if (h?.node !== n2 || h.check !== 'stage')
      out.push(`first run: expected a halt on ${n2} at stage, got ${JSON.stringify(h)}`);
    // Staging is pipelined: node 1 may be gated and upgraded while node 2 uploads; nodes 2 and 3 may not.
    if (
      runs[0]?.events.some(
        (e) => e.type === 'step.started' && (e.step === 'backup' || e.step === 'upgrade') && e.node !== c.nodes[0].name,
      )
    )
      out.push('first run: went past staging on a node whose upload had not finished');
    const staged = runs[1]?.events.find((e) => e.type === 'stage.progress' && e.node === n2 && e.done === true);
    if (staged?.action !== 'resumed')
      out.push(`re-run: node 2's upload was ${String(staged?.action)}, expected resumed from the .part`);
    return out;
  },
};

function step(name: string, node = N2) {
  return (e: CliEvent, nodes: readonly string[]) =>
    e.type === 'step.started' && e.step === name && e.node === nodes[node - 1];
}

type Check = NonNullable<ReliabilityCase['checks']>;
const halt = (r: Parameters<Check>[0]['runs'][number]) => r?.events.find((e) => e.type === 'rollout.halted');
/** The halt names `node` in its `node` field (a connection lost under a command too: check 'connection'). */
const haltNames = (h: CliEvent | undefined, node: string): boolean => h?.node === node;
/** First run: nothing past `step` on `nodes` (1-based), e.g. no backup/upgrade on nodes 2 and 3. */
const noStepIn = (run: 0 | 1, steps: readonly string[], nodes: readonly number[]): Check =>
  function noStep({ runs, c }) {
    const names = nodes.map((i) => c.nodes[i - 1].name);
    const hit = (runs[run]?.events ?? []).filter(
      (e) => e.type === 'step.started' && steps.includes(String(e.step)) && names.includes(String(e.node)),
    );
    return hit.map((e) => `${run === 0 ? 'first run' : 're-run'}: ${String(e.step)} started on ${String(e.node)}`);
  };
const all =
  (...cs: Check[]): Check =>
  (o) =>
    cs.flatMap((f) => f(o));

/** The journal's state dir fills up mid-run; the operator frees it and re-runs. */
const JOURNAL_FULL: ReliabilityCase = {
  id: 'journal-unwritable',
  group: 'bastion',
  fault:
    "the journal's state dir (a 1 MiB tmpfs) fills up during node 1's gates (ENOSPC): halt at node 2's write-ahead `upgrade.begin`, before its hop; then space is freed and a re-run",
  rerun: true,
  journalLost: true,
  prepare: async ({ c }) => {
    const state = join(dirname(c.inventoryPath), '.emqx-rollout');
    mountTmpfs(state, '1m');
    const once = join(c.dir, 'fill-once');
    writeFileSync(once, '');
    // gate commands run on the node; the simulated nodes share this machine's filesystem
    await addGateCommands(c.inventoryPath, [
      `if [ -e ${once} ]; then rm -f ${once}; dd if=/dev/zero of=${state}/fill bs=64k 2>/dev/null; fi; true`,
    ]);
    return async () => umount(state);
  },
  beforeRerun: async ({ c }) => rmSync(join(dirname(c.inventoryPath), '.emqx-rollout', 'fill'), { force: true }),
  expect: { exit: 4, rerunExit: 0, nodes: ALL_DONE },
  checks: all(
    ({ runs }) => {
      const h = halt(runs[0]);
      return /journal .* cannot be written \(ENOSPC\)/.test(String(h?.message))
        ? []
        : [`first run: expected a halt naming the journal and ENOSPC, got ${JSON.stringify(h)}`];
    },
    noStepIn(0, ['upgrade'], [2, 3]),
  ),
};

/** The jump host every node is reached through dies between two nodes. */
const JUMP_GONE: ReliabilityCase = {
  id: 'jump-host-gone',
  group: 'remote',
  fault: "every node reached through a jump host (real OpenSSH sshd) SIGKILLed at node 2's gate-before; then a re-run",
  drive: viaJumpHostKilledAt(step('gate-before'), "node 2's gate-before"),
  rerun: true,
  expect: { exit: 4, rerunExit: 0, nodes: ALL_DONE },
  checks: all(
    ({ runs, c }) => {
      const h = halt(runs[0]);
      return haltNames(h, c.nodes[1].name)
        ? []
        : [`first run: expected a halt on ${c.nodes[1].name}, got ${JSON.stringify(h)}`];
    },
    noStepIn(0, ['backup', 'upgrade'], [2, 3]),
  ),
};

/** The connection drops while `relup upgrade` runs: the hop goes on in the VM; never sent twice. */
const DROP_DURING_UPGRADE: ReliabilityCase = {
  id: 'connection-dropped-during-upgrade',
  group: 'remote',
  fault:
    'the jump host dies 1.5 s into `relup upgrade` on node 2 (the VM takes 4 s; the hop goes on without us); then a re-run',
  faults: [{ node: N2, faults: { slowUpgradeSeconds: 4 } }],
  // 1.5 s after the command left: the hop is running in the VM (in-progress) when the path goes
  drive: viaJumpHostKilledAt(step('upgrade'), '`relup upgrade` sent to node 2', 1500),
  rerun: true,
  expect: { exit: 4, rerunExit: 0, nodes: ALL_DONE },
  checks: ({ runs, c }) => {
    const out: string[] = [];
    const n2 = c.nodes[1];
    const h = halt(runs[0]);
    if (!haltNames(h, n2.name) || !/relup upgrade/.test(JSON.stringify(h?.evidence)))
      out.push(`first run: expected a halt on ${n2.name} during \`relup upgrade\`, got ${JSON.stringify(h)}`);
    const rows = relupRows(n2.rootDir);
    if (rows.length !== 1) out.push(`${n2.name}: ${rows.length} relup log rows, expected exactly 1 (the hop ran once)`);
    if (runs[1]?.events.some((e) => e.type === 'step.started' && e.step === 'upgrade' && e.node === n2.name))
      out.push('re-run: sent node 2 a second `relup upgrade` instead of re-observing it');
    return out;
  },
};

/** The staging disk fills while the tarball streams (df said there was room). */
const STAGING_FULL: ReliabilityCase = {
  id: 'disk-fills-during-staging',
  group: 'remote',
  fault:
    "node 2's stagingDir is a 2 MiB tmpfs while df reports 64 GiB free (someone else filled it): the 8 MiB upload hits ENOSPC; then the disk is freed and a re-run",
  padBytes: 8 * 1024 * 1024,
  faults: [{ node: N2, faults: { diskFull: 64 * 1024 * 1024 } }],
  prepare: async ({ c }) => {
    mountTmpfs(c.nodes[1].stagingDir, '2m');
    return async () => umount(c.nodes[1].stagingDir);
  },
  beforeRerun: async ({ c }) => umount(c.nodes[1].stagingDir),
  rerun: true,
  expect: { exit: 4, rerunExit: 0, nodes: ALL_DONE },
  checks: all(
    ({ runs, c }) => {
      const h = halt(runs[0]);
      return h?.node === c.nodes[1].name && h.check === 'stage'
        ? []
        : [`first run: expected a halt on ${c.nodes[1].name} at stage, got ${JSON.stringify(h)}`];
    },
    // Staging is pipelined (node 1 uploads first, alone, and is upgraded while node 2 uploads):
    // only the nodes whose upload had not finished must be untouched.
    noStepIn(0, ['backup', 'upgrade'], [2, 3]),
  ),
};

/** The bastion's wall clock steps 3 h forward during node 2's hop, inside a maintenance window. */
const CLOCK_JUMP: ReliabilityCase = {
  id: 'clock-jump-in-window',
  group: 'bastion',
  fault:
    "with a window open for 90 more minutes, the bastion's wall clock steps +3 h while `relup upgrade` runs on node 2 (2 s); then a re-run",
  faults: [{ node: N2, faults: { slowUpgradeSeconds: 2 } }],
  drive: clockStepAt(step('upgrade'), '`relup upgrade` sent to node 2', 3 * 3600_000),
  rerun: true,
  expect: { exit: 5, rerunExit: 0, nodes: ALL_DONE },
  checks: all(
    ({ runs, c }) => {
      const out: string[] = [];
      const ev = runs[0]?.events ?? [];
      // the hop in flight is judged on monotonic time: no deadline fired, node 2 finished and passed
      if (!ev.some((e) => e.type === 'node.done' && e.node === c.nodes[1].name))
        out.push('first run: node 2 did not finish its hop and gates after the clock step');
      const p = ev.find((e) => e.type === 'rollout.paused');
      if (p?.nextNode !== c.nodes[2].name || !/window/.test(String(p.reason)))
        out.push(`first run: expected a pause before ${c.nodes[2].name} (window closed), got ${JSON.stringify(p)}`);
      return out;
    },
    noStepIn(0, ['backup', 'upgrade'], [3]),
  ),
};

/** Day 2: the controller SIGKILLed during a rolling restart / a cleanup, then a re-run. */
const DAY2_KILLS: ReliabilityCase[] = [
  {
    id: 'kill-restart',
    group: 'controller SIGKILL + re-run',
    fault: 'SIGKILL of the controller at: `restart` of node 2 (after a clean upgrade), then `restart` again',
    command: 'restart',
    prepare: cleanUpgrade,
    kill: { what: 'restart of node 2', at: step('restart') },
    rerun: true,
    expect: { exit: null, rerunExit: 0, nodes: ALL_DONE },
    checks: ({ runs, c }) => {
      const out: string[] = [];
      const done = runs[1]?.events.find((e) => e.type === 'rollout.done');
      const rows = (done?.rows ?? []) as Array<{ node: string; outcome: string }>;
      const o = new Map(rows.map((r) => [r.node, r.outcome]));
      if (o.get(c.nodes[0].name) !== 'skipped')
        out.push(`re-run: node 1 (restarted before the kill) ${o.get(c.nodes[0].name)}, expected skipped`);
      if (o.get(c.nodes[2].name) !== 'restarted')
        out.push(`re-run: node 3 ${o.get(c.nodes[2].name)}, expected restarted`);
      return out;
    },
  },
  {
    id: 'kill-cleanup',
    group: 'controller SIGKILL + re-run',
    fault: 'SIGKILL of the controller at: `cleanup` of node 2 (after a clean upgrade), then `cleanup` again',
    command: 'cleanup',
    prepare: cleanUpgrade,
    kill: { what: 'cleanup of node 2', at: step('cleanup') },
    rerun: true,
    expect: { exit: null, rerunExit: 0, nodes: ALL_DONE },
    checks: ({ c }) =>
      c.nodes.flatMap((n) => {
        const left = readdirSync(n.stagingDir).filter((f) => f.startsWith(basename(c.tarballPath)));
        return left.length ? [`${n.name}: staged files left after the re-run: ${left.join(', ')}`] : [];
      }),
  },
];

/** SIGKILL of the controller at each step boundary, then a plain re-run: all at the target, once. */
const KILLS: Array<[string, string, (e: CliEvent, nodes: readonly string[]) => boolean, Partial<ReliabilityCase>?]> = [
  ['lock', 'cluster lock just taken', (e) => e.type === 'log' && /^cluster lock taken/.test(String(e.message))],
  ['staging', 'staging started (node 1)', step('stage', 1)],
  ['gate-before', 'gate-before of node 2', step('gate-before')],
  ['backup', 'backup of node 2', step('backup')],
  [
    'upgrade',
    '`relup upgrade` sent to node 2 (still running in the VM)',
    step('upgrade'),
    { faults: [{ node: N2, faults: { slowUpgradeSeconds: 3 } }] },
  ],
  ['gate-after', 'gate-after of node 2', step('gate-after')],
  ['soak', 'soak of node 2 (soakSeconds 2)', step('soak'), { soakSeconds: 2 }],
];

export const CASES: readonly ReliabilityCase[] = [
  ...PREFLIGHT.map(([id, fault, faults]): ReliabilityCase => ({
    id,
    group: 'simulator fault (preflight)',
    fault,
    faults: [{ node: N2, faults }],
    expect: { exit: 3, nodes: UNTOUCHED },
  })),
  ...HALTING.map(([id, fault, faults, more]): ReliabilityCase => ({
    id,
    group: id.startsWith('deadline') ? 'remote' : 'simulator fault (hop)',
    fault,
    faults: [{ node: N2, faults }],
    ...more,
    expect: { exit: 4, nodes: HALT_AT_2 },
  })),
  ...REAL_INSTALL.map(([id, fault, faults, more]): ReliabilityCase => ({
    id,
    group: 'simulator fault (real install)',
    fault,
    faults: [{ node: N2, faults }],
    ...more,
    expect: { exit: 4, nodes: HALT_AT_2 },
  })),
  BOOTING,
  DEADLINE,
  JOURNAL_FULL,
  CLOCK_JUMP,
  SSHD_UPLOAD,
  JUMP_GONE,
  DROP_DURING_UPGRADE,
  STAGING_FULL,
  ...KILLS.map(([at, what, match, more]): ReliabilityCase => ({
    id: `kill-${at}`,
    group: 'controller SIGKILL + re-run',
    fault: `SIGKILL of the controller at: ${what}`,
    kill: { what, at: match },
    rerun: true,
    ...more,
    expect: { exit: null, rerunExit: 0, nodes: ALL_DONE },
  })),
  ...DAY2_KILLS,
];

/** `RELIABILITY_CASES=id1,id2 npm run reliability` runs only those rows (the others show as not run). */
export function selected(): readonly ReliabilityCase[] {
  const only = process.env.RELIABILITY_CASES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return only && only.length > 0 ? CASES.filter((k) => only.includes(k.id)) : CASES;
}
