// The fault matrix, as data: one row per case. To add a failure shape (e.g. a new simulator fault),
// add a row here — its id, what goes wrong, the fault to inject, and what must happen: the exit code
// and where every node must end. The harness (harness.ts) judges the rest the same way for every
// row: nodes wrongly touched, data lost, journal and report truthful.
import type { Faults } from '../../src/sim/faults.js';
import type { CliEvent } from '../e2e/support/crashCli.js';
import type { NodeEnd, ReliabilityCase } from './harness.js';
import { killSshdDuringUpload } from './sshdUpload.js';

const N2 = 2;
/** Halted at node 2 of 3: node 1 done, node 2 failed (wherever its fault left it), node 3 untouched. */
const HALT_AT_2: readonly NodeEnd[] = ['to', 'any', 'from'];
const UNTOUCHED: readonly NodeEnd[] = ['from', 'from', 'from'];
const ALL_DONE: readonly NodeEnd[] = ['to', 'to', 'to'];

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
  fault: "node 2's OpenSSH sshd (listener and sessions) SIGKILLed mid-upload of a 96 MiB tarball; then a re-run",
  padBytes: 96 * 1024 * 1024,
  drive: killSshdDuringUpload,
  rerun: true,
  expect: { exit: 4, rerunExit: 0, nodes: ALL_DONE },
  checks: ({ runs, c }) => {
    const out: string[] = [];
    const n2 = c.nodes[1].name;
    const h = runs[0]?.events.find((e) => e.type === 'rollout.halted');
    if (h?.node !== n2 || h.check !== 'stage')
      out.push(`first run: expected a halt on ${n2} at stage, got ${JSON.stringify(h)}`);
    if (runs[0]?.events.some((e) => e.type === 'step.started' && (e.step === 'backup' || e.step === 'upgrade')))
      out.push('first run: went past staging');
    const staged = runs[1]?.events.find((e) => e.type === 'stage.progress' && e.node === n2 && e.done === true);
    if (staged?.action !== 'resumed')
      out.push(`re-run: node 2's upload was ${String(staged?.action)}, expected resumed from the .part`);
    return out;
  },
};

const step =
  (name: string, node = N2) =>
  (e: CliEvent, nodes: readonly string[]) =>
    e.type === 'step.started' && e.step === name && e.node === nodes[node - 1];

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
  DEADLINE,
  SSHD_UPLOAD,
  ...KILLS.map(([at, what, match, more]): ReliabilityCase => ({
    id: `kill-${at}`,
    group: 'controller SIGKILL + re-run',
    fault: `SIGKILL of the controller at: ${what}`,
    kill: { what, at: match },
    rerun: true,
    ...more,
    expect: { exit: null, rerunExit: 0, nodes: ALL_DONE },
  })),
];

/** `RELIABILITY_CASES=id1,id2 npm run reliability` runs only those rows (the others show as not run). */
export function selected(): readonly ReliabilityCase[] {
  const only = process.env.RELIABILITY_CASES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return only && only.length > 0 ? CASES.filter((k) => only.includes(k.id)) : CASES;
}
