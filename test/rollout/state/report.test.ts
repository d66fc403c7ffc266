import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeReport, type ReportMeta } from '../../../src/rollout/state/report.js';
import { renderReportMarkdown, renderReportText } from '../../../src/ui/report.js';
import type { ReportRow } from '../../../src/rollout/core/types.js';
import { RUN_ID, rows } from '../../ui/fixtures.js';

const meta: ReportMeta = {
  cluster: 'demo',
  runId: RUN_ID,
  from: '5.10.4',
  to: '5.10.5',
  startedAt: '2026-11-26T21:03:00.000Z',
  finishedAt: '2026-11-26T21:03:32.000Z',
  outcome: 'halted',
};

const halted = rows(['upgraded', 'failed', 'untouched']);

describe('report', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('text: an aligned table — node, from → to, outcome, duration, gates, connections kept, staged, backup file', () => {
    expect(renderReportText(halted).split('\n')).toEqual([
      'node             from → to        outcome    upgrade  gates  connections   staged    backup',
      'emqx@127.0.0.11  5.10.4 → 5.10.5  upgraded   12.5s    16/16  10 → 10 kept  uploaded  emqx-backup-emqx_127.0.0.11-20261126T210340Z.tar.gz',
      'emqx@127.0.0.12  5.10.4 → 5.10.5  failed     7.5s     6/16   -             uploaded  emqx-backup-emqx_127.0.0.12-20261126T210347Z.tar.gz',
      'emqx@127.0.0.13  5.10.4 → ?       untouched  -        -      -             uploaded  -',
    ]);
  });

  it('text: lost connections are shown as a loss, not as kept', () => {
    const r: ReportRow = {
      node: 'n1',
      from: '5.10.4',
      to: '5.10.5',
      outcome: 'upgraded',
      gatesPassed: 1,
      gatesTotal: 2,
      connectionsBefore: 10,
      connectionsAfter: 4,
      backup: 'skipped',
    };
    expect(renderReportText([r]).split('\n')[1]).toBe(
      'n1    5.10.4 → 5.10.5  upgraded  -        1/2    10 → 4 (-6)  -       skipped',
    );
  });

  it('markdown: header facts and a table row per node', () => {
    const md = renderReportMarkdown(halted, meta);
    expect(md.split('\n').slice(0, 12)).toEqual([
      '# emqx-rollout report: demo',
      '',
      `- run: \`${RUN_ID}\``,
      '- outcome: **halted**',
      '- versions: 5.10.4 → 5.10.5',
      '- started: 2026-11-26T21:03:00.000Z',
      '- finished: 2026-11-26T21:03:32.000Z (32.0s)',
      '- nodes: 3 (1 upgraded, 0 restarted, 0 skipped, 1 failed, 1 untouched)',
      '',
      '| node | from → to | outcome | upgrade | gates | connections | staged | backup |',
      '|---|---|---|---|---|---|---|---|',
      '| emqx@127.0.0.11 | 5.10.4 → 5.10.5 | upgraded | 12.5s | 16/16 | 10 → 10 kept | uploaded | `/var/backups/emqx/emqx-backup-emqx_127.0.0.11-20261126T210340Z.tar.gz` |',
    ]);
  });

  it('writeReport writes report-<runId>.json/.md and last-report copies, creating the directory', async () => {
    const base = await mkdtemp(join(tmpdir(), 'emqx-rollout-report-'));
    dirs.push(base);
    const dir = join(base, '.emqx-rollout', 'demo');
    const { jsonPath, mdPath } = await writeReport(dir, RUN_ID, halted, meta, renderReportMarkdown(halted, meta));
    expect(jsonPath).toBe(join(dir, `report-${RUN_ID}.json`));
    expect(mdPath).toBe(join(dir, `report-${RUN_ID}.md`));
    expect((await readdir(dir)).sort()).toEqual([
      'last-report.json',
      'last-report.md',
      `report-${RUN_ID}.json`,
      `report-${RUN_ID}.md`,
    ]);
    const json = JSON.parse(await readFile(jsonPath, 'utf8'));
    expect(json).toEqual({ schemaVersion: 1, ...meta, rows: halted });
    expect(await readFile(join(dir, 'last-report.json'), 'utf8')).toBe(await readFile(jsonPath, 'utf8'));
    expect(await readFile(join(dir, 'last-report.md'), 'utf8')).toBe(renderReportMarkdown(halted, meta));
    // a second run replaces last-report.* and keeps the first run's files
    const second = await writeReport(
      dir,
      'run-2',
      rows(),
      { ...meta, runId: 'run-2', outcome: 'done' },
      renderReportMarkdown(rows(), { ...meta, runId: 'run-2', outcome: 'done' }),
    );
    expect((await readdir(dir)).length).toBe(6);
    expect(JSON.parse(await readFile(join(dir, 'last-report.json'), 'utf8')).runId).toBe('run-2');
    expect(second.jsonPath).toBe(join(dir, 'report-run-2.json'));
  });
});
