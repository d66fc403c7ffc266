// `recover-boot`: the documented boot-path rollback of one node. The decision and the steps live in
// rollout/recover-boot/engine.ts; this file wires the flag checks, the journal's backup record, the prompt
// and the report.
import { join } from 'node:path';
import { readJournal } from '../../rollout/state/journal.js';
import { selectNode } from '../../rollout/logs/engine.js';
import { newestBackup, runRecoverBoot } from '../../rollout/recover-boot/engine.js';
import type { CliIO } from '../io.js';
import { validateInputs } from '../inputs.js';
import { runEngine } from '../runEngine.js';
import { openSession } from '../session.js';
import { lockFor, pickView } from '../view.js';

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
  const view = pickView(io, f);
  // All nodes: the cluster lock is taken on every node, and the gates read the whole cluster's view.
  const s = await openSession(io, {
    loaded: input,
    inventory: f.inventory,
    command: 'recover-boot',
    json: f.json,
    plain: false,
    stateDir: f.stateDir,
    argv,
    renderer: view.renderer,
  });
  await runEngine(io, s, {
    run: async (startedAt) => {
      const spec = selectNode(s.inv, f.node);
      const journalFile = join(s.stateDir, 'journal.ndjson');
      return runRecoverBoot(s.ctx, {
        node: spec,
        removeTree: f.removeTree,
        backup: newestBackup(await journalRecords(journalFile), spec.name),
        journalFile,
        lock: lockFor(s, 'recover-boot', f.breakLock ?? false, startedAt),
        confirm: (d) =>
          view.ask(
            `Remove relup/current${f.removeTree ? ` and relup/${d.target}/` : ''} on ${spec.name} and restart it into ${d.back}, accepting what it cannot undo (above)?`,
          ),
      });
    },
    versions: (res) =>
      res.decision?.kind === 'recover'
        ? { from: res.decision.target, to: res.decision.back }
        : { from: null, to: null },
  });
}
