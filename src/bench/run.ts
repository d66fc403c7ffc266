// `npm run bench [-- options] [bench-id …]` → node --expose-gc dist/bench/run.js
// Runs the registered benchmarks (all, or the ids given), prints one table of rows, and writes the
// rows plus the raw measurements as JSON and a Markdown report.
//   --quick            5 nodes only, one round, smaller staging bench (fast iteration; ~3–5 min)
//   --rounds N         alternating rounds of the 5-node contenders and of ours at 10/30 (default 2)
//   --budget S         whole rollout-bench budget in seconds (default 570; --quick 420)
//   --ctl-latency-ms N the nodes' `emqx ctl` latency (default 500)
//   --sizes 5,10,30    cluster sizes of our rollout (peers run at 5; plan and the RSS run at the largest)
//   --no-peers         skip the Ansible and bash peers
//   --no-dotfiles-pass skip the 5-node runs with the sshds sourcing ~/.bashrc
//   --out DIR          where PERFORMANCE.md and performance.json go (default docs/; --quick: $TMPDIR)
// To add a row: write a Bench in its own file and add it to `registry`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performanceMarkdown } from './report.js';
import { rolloutBench, type RolloutBenchOptions } from './rollout.js';
import { stagingBench } from './staging.js';
import type { Bench, BenchRow } from './types.js';

export type { Bench, BenchRow } from './types.js';

export function registry(o: RolloutBenchOptions = {}): Bench[] {
  const MiB = 1024 * 1024;
  // --quick: 64 MiB on one node (3 runs), 5 nodes × 64 MiB once (its peak RSS in the note), no 30-node RSS row
  return [
    rolloutBench(o),
    stagingBench(
      o.quick ? { sizeBytes: 64 * MiB, runs: 3, parallelBytes: 64 * MiB, parallelRuns: 1, rssNodes: 0 } : {},
    ),
  ];
}

const cell = (r: BenchRow): string => (Number.isNaN(r.value) ? '—' : `${r.value} ${r.unit}`.trim());

export function formatTable(rows: readonly BenchRow[]): string {
  const head = ['bench', 'metric', 'value', 'target', 'result', 'note'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    cell(r),
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export interface BenchResults {
  rows: BenchRow[];
  errors: string[];
  details: Record<string, unknown>;
}

export async function runBenches(
  benches: readonly Bench[],
  ids: readonly string[],
  log: (line: string) => void,
): Promise<BenchResults> {
  const chosen = ids.length ? benches.filter((b) => ids.includes(b.id)) : benches;
  const unknown = ids.filter((id) => !benches.some((b) => b.id === id));
  const errors = unknown.map((id) => `unknown bench "${id}" (known: ${benches.map((b) => b.id).join(', ')})`);
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = {};
  for (const b of chosen) {
    log(`[${b.id}] ${b.title}`);
    try {
      rows.push(...(await b.run({ log: (l) => log(`[${b.id}] ${l}`), detail: (k, v) => (details[k] = v) })));
    } catch (e) {
      errors.push(`[${b.id}] failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { rows, errors, details };
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      budget: { type: 'string' },
      'ctl-latency-ms': { type: 'string' },
      'no-peers': { type: 'boolean', default: false },
      'no-dotfiles-pass': { type: 'boolean', default: false },
      out: { type: 'string' },
      sizes: { type: 'string' },
    },
  });
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      process.stderr.write(`${name}: expected a number ≥ 0, found ${JSON.stringify(v)}\n`);
      process.exit(2);
    }
    return n;
  };
  const opts: RolloutBenchOptions = {
    quick: values.quick,
    rounds: num(values.rounds, '--rounds'),
    budgetSeconds: num(values.budget, '--budget'),
    ctlLatencyMs: num(values['ctl-latency-ms'], '--ctl-latency-ms'),
    peers: !values['no-peers'],
    dotfilesPass: !values['no-dotfiles-pass'],
    sizes: values.sizes?.split(',').map((x) => num(x, '--sizes')!),
  };
  const started = new Date();
  const load0 = loadavg()[0];
  const t0 = Date.now();
  const res = await runBenches(registry(opts), positionals, (l) => process.stderr.write(`${l}\n`));
  const meta = {
    started: started.toISOString(),
    seconds: Math.round((Date.now() - t0) / 1000),
    cores: cpus().length,
    loadavg1: { start: load0, end: loadavg()[0] },
    node: process.version,
    argv: process.argv.slice(2),
  };
  process.stdout.write(`${formatTable(res.rows)}\n`);
  for (const e of res.errors) process.stderr.write(`${e}\n`);
  const out = values.out ?? (values.quick ? join(tmpdir(), 'emqx-rollout-bench') : 'docs');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'performance.json'),
    `${JSON.stringify({ meta, rows: res.rows, errors: res.errors, details: res.details }, null, 2)}\n`,
  );
  writeFileSync(join(out, 'PERFORMANCE.md'), performanceMarkdown(meta, res));
  process.stderr.write(
    `wrote ${join(out, 'PERFORMANCE.md')} and ${join(out, 'performance.json')} (${meta.seconds} s)\n`,
  );
  // Not process.exit (cli/main.ts owns that): a non-zero exit code for CI when anything failed.
  if (res.errors.length > 0 || res.rows.some((r) => r.pass === false)) process.exitCode = 1;
}
