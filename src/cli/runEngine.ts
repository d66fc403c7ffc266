// The one command runner for commands that change nodes: run the engine inside an open session,
// write the report for runs that acted, journal run.end, close the session, and hand the typed
// error to main.ts (the exit boundary). A report that cannot be written is a warning: it never
// hides the run's own outcome (a halted run stays exit 4 even when the disk is full).
import type { Outcome } from '../rollout/core/run.js';
import type { ReportRow } from '../rollout/core/types.js';
import { writeReport, type ReportMeta } from '../rollout/state/report.js';
import { renderReportMarkdown } from '../ui/report.js';
import { errorMessage, type RolloutError } from '../util/errors.js';
import type { CliIO } from './io.js';
import type { Session } from './session.js';

export interface EngineResult {
  readonly outcome: Outcome;
  readonly rows: readonly ReportRow[];
  readonly error?: RolloutError;
}

export interface EngineRun<R extends EngineResult> {
  /** Runs the engine; `startedAt` is the run's start (ISO 8601) for the lock owner and the report. */
  run(startedAt: string): Promise<R>;
  /** The from/to versions the report shows for this result. */
  versions(res: R): { readonly from: string | null; readonly to: string | null };
}

/** Runs that were blocked or declined changed nothing: the journal says why, a report is for runs that acted. */
const REPORTED: ReadonlySet<Outcome> = new Set(['done', 'halted', 'paused', 'interrupted']);

export async function runEngine<R extends EngineResult>(io: CliIO, s: Session, e: EngineRun<R>): Promise<R> {
  let outcome = 'failed';
  try {
    const startedAt = io.now().toISOString();
    const res = await e.run(startedAt);
    outcome = res.outcome;
    if (REPORTED.has(res.outcome)) {
      const meta: ReportMeta = {
        cluster: s.inv.cluster,
        runId: s.runId,
        ...e.versions(res),
        startedAt,
        finishedAt: io.now().toISOString(),
        outcome: res.outcome as ReportMeta['outcome'],
      };
      try {
        const files = await writeReport(s.stateDir, s.runId, res.rows, meta, renderReportMarkdown(res.rows, meta));
        s.announceReport(files.mdPath);
      } catch (err) {
        io.stderr.write(`warning: the report could not be written to ${s.stateDir}: ${errorMessage(err)}\n`);
      }
    }
    if (res.error) throw res.error;
    return res;
  } finally {
    s.ctx.note({ kind: 'run.end', runId: s.runId, outcome });
    await s.close();
  }
}
