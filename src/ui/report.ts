// The final report for people: an aligned text table for the terminal, Markdown for the change
// ticket. The files are written by rollout/state/report.ts.
import { basename } from 'node:path';
import type { ReportRow } from '../rollout/core/types.js';
import type { ReportMeta } from '../rollout/state/report.js';
import { alignTable, connections, formatDuration, versionHop } from './format.js';

// Backup last: its file name is the widest cell, and on an 80-column terminal the columns an
// operator scans for (outcome, gates, connections kept) must not be the ones cut off.
const HEAD = ['node', 'from → to', 'outcome', 'upgrade', 'gates', 'connections', 'staged', 'backup'] as const;

function cells(r: ReportRow, backup: (p: string) => string): string[] {
  return [
    r.node,
    versionHop(r.from, r.to),
    r.outcome,
    r.durationMs === undefined ? '-' : formatDuration(r.durationMs),
    r.gatesTotal > 0 ? `${r.gatesPassed}/${r.gatesTotal}` : '-',
    connectionsCell(r),
    r.staged ?? '-',
    r.backup === undefined ? '-' : backup(r.backup),
  ];
}

/** `10 → 10 kept`, `10 → 4 lost 6`, or `-`: whether the hot upgrade kept MQTT connections. */
function connectionsCell(r: ReportRow): string {
  if (r.connectionsBefore === undefined && r.connectionsAfter === undefined) return '-';
  const c = connections(r.connectionsBefore, r.connectionsAfter);
  if (r.connectionsBefore === undefined || r.connectionsAfter === undefined) return c;
  const lost = r.connectionsBefore - r.connectionsAfter;
  return lost > 0 ? `${c} (-${lost})` : `${c} kept`;
}

/**
 * Aligned table for terminals. The backup shows its file name only: the directory is the
 * inventory's backupDir, and the full path is in the Markdown/JSON report.
 */
export function renderReportText(rows: readonly ReportRow[]): string {
  return alignTable([[...HEAD], ...rows.map((r) => cells(r, (p) => (p === 'skipped' ? p : basename(p))))]).join('\n');
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|');

export function renderReportMarkdown(rows: readonly ReportRow[], meta: ReportMeta): string {
  const count = (o: ReportRow['outcome']) => rows.filter((r) => r.outcome === o).length;
  const lines = [
    `# emqx-rollout report: ${meta.cluster}`,
    '',
    `- run: \`${meta.runId}\``,
    `- outcome: **${meta.outcome}**`,
    `- versions: ${versionHop(meta.from, meta.to)}`,
    `- started: ${meta.startedAt}`,
    `- finished: ${meta.finishedAt} (${formatDuration(Date.parse(meta.finishedAt) - Date.parse(meta.startedAt))})`,
    `- nodes: ${rows.length} (${count('upgraded')} upgraded, ${count('restarted')} restarted, ${count('skipped')} skipped, ${count('failed')} failed, ${count('untouched')} untouched)`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${cells(r, (p) => (p === 'skipped' ? p : `\`${p}\``))
          .map(mdEscape)
          .join(' | ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
