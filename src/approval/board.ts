// The approval files of one state directory (see records.ts): written whole (temp file, fsync,
// rename), read tolerantly (a missing or unreadable file is "nothing there").
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AWAITING_FILE,
  DECISION_FILE,
  asAwaiting,
  asDecision,
  type AwaitingRecord,
  type DecisionRecord,
} from './records.js';

export async function writeAtomic(file: string, value: object): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(value)}\n`, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof SyntaxError) return null; // not JSON (damage): reported by the caller as unusable
    throw e;
  }
}

const unlinkQuiet = (f: string) => unlink(f).catch(() => undefined);

export interface ApprovalBoard {
  readonly dir: string;
  /** Post this run's awaiting record; any earlier decision file is removed first. */
  post(rec: AwaitingRecord): Promise<void>;
  /** The decision for `runId`, if one was written. */
  decision(runId: string): Promise<DecisionRecord | null>;
  /** Remove this run's records (after a decision, a timeout or an interrupt). */
  clear(runId: string): Promise<void>;
  /** The awaiting record: undefined when there is none, a string when it is unreadable. */
  awaiting(): Promise<AwaitingRecord | string | undefined>;
  decide(d: DecisionRecord): Promise<void>;
  removeAwaiting(): Promise<void>;
}

export function fileBoard(dir: string): ApprovalBoard {
  const awaitingFile = join(dir, AWAITING_FILE);
  const decisionFile = join(dir, DECISION_FILE);
  const board: ApprovalBoard = {
    dir,
    async post(rec) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await unlinkQuiet(decisionFile);
      await writeAtomic(awaitingFile, rec);
    },
    async decision(runId) {
      const d = asDecision(await readJson(decisionFile));
      return d && d.runId === runId ? d : null;
    },
    async clear(runId) {
      const a = await board.awaiting();
      if (typeof a === 'object' && a.runId === runId) await unlinkQuiet(awaitingFile);
      const d = asDecision(await readJson(decisionFile).catch(() => null));
      if (d?.runId === runId) await unlinkQuiet(decisionFile);
    },
    async awaiting() {
      const v = await readJson(awaitingFile);
      if (v === undefined) return undefined;
      return asAwaiting(v);
    },
    decide: (d) => writeAtomic(decisionFile, d),
    removeAwaiting: () => unlinkQuiet(awaitingFile),
  };
  return board;
}
