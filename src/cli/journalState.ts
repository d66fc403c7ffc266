import { join } from 'node:path';
import { readJournal } from '../rollout/state/journal.js';
import { summarizeJournal, type JournalSummary } from '../rollout/state/resume.js';

export async function readJournalSummary(stateDir: string): Promise<JournalSummary> {
  try {
    return summarizeJournal(await readJournal(join(stateDir, 'journal.ndjson')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return summarizeJournal([]);
    throw e;
  }
}
