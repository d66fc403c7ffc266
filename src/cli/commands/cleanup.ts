// `cleanup`: remove the staged tarball + sidecar from every node once every node runs the target
// (step 7). The decision and the removal live in rollout/cleanup/engine.ts.
import { runCleanup } from '../../rollout/cleanup/engine.js';
import { writeReport } from '../../rollout/state/report.js';
import type { CliIO } from '../io.js';
import { validateInputs } from '../inputs.js';
import { openSession } from '../session.js';
import { day2Renderer, lockFor } from './day2.js';

export interface CleanupFlags {
  readonly inventory: string;
  readonly tarball?: string;
  readonly yes: boolean;
  readonly json: boolean;
  readonly breakLock?: boolean;
  readonly stateDir?: string;
}

export async function cleanupCommand(io: CliIO, f: CleanupFlags, argv: readonly string[]): Promise<void> {
  const input = await validateInputs(io, {
    inventory: f.inventory,
    tarball: { path: f.tarball, required: true },
    confirm: { yes: f.yes, what: 'remove staged files from the nodes' },
    stateDir: f.stateDir,
  });
  const release = input.release!;
  const view = day2Renderer(io, f);
  const s = await openSession(io, { loaded: input, inventory: f.inventory, command: 'cleanup', json: f.json, plain: false, stateDir: f.stateDir, argv, renderer: view.renderer });
  let outcome = 'failed';
  try {
    const startedAt = io.now().toISOString();
    const res = await runCleanup(s.ctx, {
      tarball: { fileName: release.tarball.fileName, version: release.tarball.version },
      lock: lockFor(s, 'cleanup', f.breakLock ?? false, startedAt),
      confirm: (n) => view.ask(`Every node runs ${release.tarball.version}. Remove ${release.tarball.fileName} and its .sha256 from the staging dir of ${n} node${n === 1 ? '' : 's'}?`),
    });
    outcome = res.outcome;
    // blocked/declined removed nothing: the journal says why; a report is for runs that acted.
    if (res.outcome === 'done' || res.outcome === 'halted' || res.outcome === 'interrupted') {
      const v = release.tarball.version;
      const files = await writeReport(s.stateDir, s.runId, res.rows, { cluster: s.inv.cluster, runId: s.runId, from: v, to: v, startedAt, finishedAt: io.now().toISOString(), outcome: res.outcome });
      s.announceReport(files.mdPath);
    }
    if (res.error) throw res.error;
  } finally {
    s.ctx.record({ kind: 'run.end', runId: s.runId, outcome });
    await s.close();
  }
}
