// The run journal the CLI writes next to the inventory: `.emqx-rollout/<cluster>/journal.ndjson`.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface JournalLine {
  readonly ts: string;
  readonly kind: string;
  readonly runId: string;
  readonly type?: string;
  readonly node?: string;
  readonly [k: string]: unknown;
}

export const journalPath = (inventoryPath: string, cluster = 'sim'): string =>
  join(dirname(inventoryPath), '.emqx-rollout', cluster, 'journal.ndjson');

export async function readJournal(inventoryPath: string, cluster = 'sim'): Promise<JournalLine[]> {
  const text = await readFile(journalPath(inventoryPath, cluster), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as JournalLine);
}

/** The lines of one run (by runId), in order. */
export const ofRun = (lines: readonly JournalLine[], runId: string): JournalLine[] =>
  lines.filter((l) => l.runId === runId);
