// `approve -i INV [--reject]`: answer a run waiting at `--pause-after` with `--await-approval`.
// No SSH, no lock, no journal of its own: it reads the waiting run's record in the state dir,
// checks that run is alive on this host, writes the decision with who gave it (user@host), and
// waits briefly for the run to take it. The waiting run journals and emits the decision.
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { fileBoard } from '../../approval/board.js';
import { RECORD_VERSION, checkAwaiting } from '../../approval/records.js';
import { displayFile } from '../../inventory/errors.js';
import { loadInventory } from '../../inventory/load.js';
import { realSleep } from '../../rollout/core/context.js';
import { BadInputError } from '../../util/errors.js';
import type { CliIO } from '../io.js';
import { stateDirFor } from '../session.js';
import { pidAlive } from '../pid.js';

export interface ApproveFlags {
  readonly inventory: string;
  readonly reject: boolean;
  readonly stateDir?: string;
}

/** How long `approve` waits to see the run take its decision: the run polls every 250 ms, so 10 s is
 *  a busy machine's worth of slack, and still short for a human at the prompt. */
export const ACK_WAIT_MS = 10_000;

export async function approveCommand(io: CliIO, f: ApproveFlags): Promise<void> {
  const inv = await loadInventory(resolve(io.cwd, f.inventory), {
    home: io.home,
    cwd: io.cwd,
    sshConfigFile: io.sshConfigFile,
  });
  const dir = stateDirFor(inv, f.stateDir, io.cwd);
  const board = fileBoard(dir);
  const shownInv = displayFile(f.inventory, io.cwd);
  const nothing = (why: string) =>
    new BadInputError(`no run of cluster ${inv.cluster} is waiting for approval: ${why}`, {
      details: [`looked in ${dir}`],
      hint: `a run waits only with \`emqx-rollout upgrade -i ${shownInv} … --pause-after N --await-approval [SECONDS]\`${f.stateDir ? '' : ' (pass --state-dir if that run used one)'}`,
    });
  const rec = await board.awaiting();
  if (rec === undefined) throw nothing('there is no awaiting record');
  if (typeof rec === 'string') throw nothing(`the awaiting record is unusable (${rec})`);
  const host = hostname();
  const check = checkAwaiting(rec, { host, pidAlive, now: io.now() });
  if (!check.ok) {
    if (check.stale) await board.removeAwaiting();
    throw new BadInputError(`nothing to ${f.reject ? 'reject' : 'approve'}: ${check.message}`, {
      details: check.stale ? ['its stale awaiting record was removed'] : [],
      hint: check.hint,
    });
  }
  const by = `${userInfo().username}@${host}`;
  await board.decide({
    schemaVersion: RECORD_VERSION,
    runId: rec.runId,
    decision: f.reject ? 'reject' : 'approve',
    by,
    pid: process.pid,
    at: io.now().toISOString(),
  });
  const what = f.reject
    ? `rejected: run ${rec.runId} stops before ${rec.nextNode} and ends paused (exit 5)`
    : `approved: run ${rec.runId} continues with ${rec.nextNode}`;
  // The run removes its record once it took the decision; say so only when it did.
  const until = Date.now() + ACK_WAIT_MS;
  while (Date.now() < until) {
    const now = await board.awaiting();
    if (now === undefined || typeof now === 'string' || now.runId !== rec.runId) {
      io.stdout.write(`${what} (by ${by})\n`);
      return;
    }
    await realSleep(100, io.signal);
  }
  io.stdout.write(
    `${f.reject ? 'rejection' : 'approval'} written for run ${rec.runId} (by ${by}); the run has not taken it yet — it will at its next look, or its deadline (${rec.deadline}) ends it paused\n`,
  );
}
