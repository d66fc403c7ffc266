// The final report's files, written next to the journal (`report-<runId>.*` and `last-report.*`):
// the JSON is the data; the Markdown is rendered by ui/report.ts and handed in.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportRow } from '../core/types.js';

export interface ReportMeta {
  readonly cluster: string;
  readonly runId: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly startedAt: string; // ISO 8601
  readonly finishedAt: string; // ISO 8601
  readonly outcome: 'done' | 'halted' | 'paused' | 'interrupted' | 'failed';
}

export const REPORT_SCHEMA_VERSION = 1;

export interface ReportFiles {
  readonly jsonPath: string;
  readonly mdPath: string;
}

/**
 * Writes `report-<runId>.json|.md` and the `last-report.json|.md` copies into `dir` (created if
 * missing). Each file is written to a temporary name and renamed, so a reader never sees half a report.
 */
export async function writeReport(
  dir: string,
  runId: string,
  rows: readonly ReportRow[],
  meta: ReportMeta,
  markdown: string,
): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, ...meta, runId, rows }, null, 2) + '\n';
  const md = markdown;
  const jsonPath = join(dir, `report-${runId}.json`);
  const mdPath = join(dir, `report-${runId}.md`);
  await atomicWrite(jsonPath, json);
  await atomicWrite(mdPath, md);
  await atomicWrite(join(dir, 'last-report.json'), json);
  await atomicWrite(join(dir, 'last-report.md'), md);
  return { jsonPath, mdPath };
}

async function atomicWrite(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o644 });
  await rename(tmp, path);
}
