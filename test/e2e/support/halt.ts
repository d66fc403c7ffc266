// What a fail-closed halt at node 2 of 3 must look like, from the outside: exit 4, node 1 at the
// target, node 2 failed once and not touched again, node 3 untouched, the lock released, and the
// output naming the node, the check, the evidence and the recovery.
import { expect } from 'vitest';
import type { CliEvent, CliRun } from './cli.js';
import { footprint, relupLogs, runningVersion, type E2eCluster } from './cluster.js';
import { ofRun, readJournal } from './journal.js';

export interface HaltExpectation {
  /** `check` of the rollout.halted event, e.g. 'upgrade' or 'gate-after:connections'. */
  readonly check: string;
  /** Must match one line of the recovery text. */
  readonly recovery: RegExp;
  /** Must match the message or one evidence line. */
  readonly evidence: RegExp;
  /** Does node 2 run the target after the failure (the hop was applied)? */
  readonly node2At?: 'from' | 'to' | 'down';
}

export type HaltedEvent = CliEvent & { check: string; message: string; evidence: string[]; recovery: string[] };

export async function expectHaltedAtNode2(c: E2eCluster, r: CliRun, x: HaltExpectation): Promise<HaltedEvent> {
  const [n1, n2, n3] = c.nodes;
  expect(r.code, r.stderr).toBe(4);
  const ev = r.events();
  const halted = ev.filter((e) => e.type === 'rollout.halted');
  expect(halted).toHaveLength(1);
  const h = halted[0] as HaltedEvent;
  expect(h.node).toBe(n2.name);
  expect(h.check).toBe(x.check);
  expect(h.message).toContain(n2.name);
  expect(
    [h.message, ...h.evidence].some((l) => x.evidence.test(l)),
    `evidence ${x.evidence} in ${JSON.stringify([h.message, ...h.evidence])}`,
  ).toBe(true);
  expect(h.recovery.length).toBeGreaterThan(0);
  expect(
    h.recovery.some((l) => x.recovery.test(l)),
    `recovery ${x.recovery} in ${JSON.stringify(h.recovery)}`,
  ).toBe(true);
  expect(ev.map((e) => e.type)).not.toContain('rollout.done');
  expect(r.stderr).toContain(n2.name);

  // node 1 finished, node 2 failed, node 3 untouched (only staged, which happens for all up front)
  expect(ev.filter((e) => e.type === 'node.done').map((e) => e.node)).toEqual([n1.name]);
  // read the nodes in parallel: every `bin/emqx ctl` starts a Node process (~0.3 s each)
  const [v1, logs1, v3, logs3, fp] = await Promise.all([
    runningVersion(n1),
    relupLogs(n1),
    runningVersion(n3),
    relupLogs(n3),
    Promise.all(c.nodes.map(footprint)),
  ]);
  expect(v1).toBe(c.to);
  expect(logs1.map((l) => l.line.replace(/^.* (\S+ -> \S+ .*)$/, '$1'))).toEqual([
    `${c.from} -> ${c.to} status=finished result=success`,
  ]);
  expect(v3).toBe(c.from);
  expect(logs3).toEqual([]);
  expect(fp[2].backups).toEqual([]);
  expect(fp[0].backups).toHaveLength(1);
  expect(
    fp.map((f) => f.lock),
    'no lock left on any node',
  ).toEqual(c.nodes.map(() => false));
  expect(ev.filter((e) => e.type === 'step.started' && e.node === n3.name).map((e) => e.step)).toEqual(['stage']);

  // node 2: exactly one upgrade attempt, and nothing started after the step that failed
  const fail = ev.findIndex((e) => e.type === 'step.finished' && e.node === n2.name && e.ok === false);
  expect(fail).toBeGreaterThan(-1);
  expect(ev.slice(fail + 1).filter((e) => e.type === 'step.started')).toEqual([]);
  const runId = ev[0].runId as string;
  const j = ofRun(await readJournal(c.inventoryPath), runId);
  expect(j.filter((l) => l.kind === 'upgrade.begin').map((l) => l.node)).toEqual([n1.name, n2.name]);
  expect(j.filter((l) => l.kind === 'run.end').map((l) => l.outcome)).toEqual(['halted']);
  if (x.node2At === 'to') expect(await runningVersion(n2)).toBe(c.to);
  if (x.node2At === 'from') expect(await runningVersion(n2)).toBe(c.from);
  return h;
}
