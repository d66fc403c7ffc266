// `recover-boot`: the documented boot-path rollback of one node. The decision and the steps live in
// rollout/recover-boot/engine.ts; this file wires the flag checks, the journal's backup record, the prompt
// and the report.
import { join } from 'node:path';
import { readJournal } from '../../rollout/state/journal.js';
import { selectNode } from '../../rollout/logs/engine.js';
import { newestBackup, runRecoverBoot } from '../../rollout/recover-boot/engine.js';
import { writeReport } from '../../rollout/state/report.js';
import type { CliIO } from '../io.js';
import { validateInputs } from '../inputs.js';
import { openSession } from '../session.js';
import { day2Renderer, lockFor } from './day2.js';

export interface RecoverBootFlags {
  readonly inventory: string;
  readonly node: string;
  readonly removeTree: boolean;
  readonly yes: boolean;
  readonly json: boolean;
  readonly breakLock?: boolean;
  readonly stateDir?: string;
}

async function journalRecords(file: string): Promise<object[]> {
  try {
    return await readJournal(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export async function recoverBootCommand(io: CliIO, f: RecoverBootFlags, argv: readonly string[]): Promise<void> {
  // --node is checked against the inventory, with every other input, before anything connects.
  const input = await validateInputs(io, {
    inventory: f.inventory,
    confirm: { yes: f.yes, what: 'remove the boot marker and restart the node' },
    checks: [(inv) => selectNode(inv, f.node)],
    stateDir: f.stateDir,
  });
  const view = day2Renderer(io, f);
  // All nodes: the cluster lock is taken on every node, and the gates read the whole cluster's view.
  const s = await openSession(io, { loaded: input, inventory: f.inventory, command: 'recover-boot', json: f.json, plain: false, stateDir: f.stateDir, argv, renderer: view.renderer });
  let outcome = 'failed';
  try {
    const spec = selectNode(s.inv, f.node);
    const journalFile = join(s.stateDir, 'journal.ndjson');
    const startedAt = io.now().toISOString();
    const res = await runRecoverBoot(s.ctx, {
      node: spec,
      removeTree: f.removeTree,
      backup: newestBackup(await journalRecords(journalFile), spec.name),
      journalFile,
      lock: lockFor(s, 'recover-boot', f.breakLock ?? false, startedAt),
      confirm: (d) => view.ask(`Remove relup/current${f.removeTree ? ` and relup/${d.target}/` : ''} on ${spec.name} and restart it into ${d.back}, accepting what it cannot undo (above)?`),
    });
    outcome = res.outcome;
    if (res.outcome === 'done' || res.outcome === 'halted' || res.outcome === 'interrupted') {
      const files = await writeReport(s.stateDir, s.runId, res.rows, {
        cluster: s.inv.cluster,
        runId: s.runId,
        from: res.decision?.kind === 'recover' ? res.decision.target : null,
        to: res.decision?.kind === 'recover' ? res.decision.back : null,
        startedAt,
        finishedAt: io.now().toISOString(),
        outcome: res.outcome,
      });
      s.announceReport(files.mdPath);
    }
    if (res.error) throw res.error;
  } finally {
    s.ctx.record({ kind: 'run.end', runId: s.runId, outcome });
    await s.close();
  }
}
