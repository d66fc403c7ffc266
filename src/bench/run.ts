// `npm run bench` → node --expose-gc dist/bench/run.js [bench-id …]
// Runs the registered benchmarks (all, or the ids given) and prints one table of rows.
// To add a row: write a Bench in its own file and add it to `registry`.
import { stagingBench } from './staging.js';
import type { Bench, BenchRow } from './types.js';

export type { Bench, BenchRow } from './types.js';

export const registry: Bench[] = [stagingBench()];

export function formatTable(rows: readonly BenchRow[]): string {
  const head = ['bench', 'metric', 'value', 'target', 'result', 'note'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    `${r.value} ${r.unit}`,
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export async function runBenches(ids: readonly string[], log: (line: string) => void): Promise<{ rows: BenchRow[]; errors: string[] }> {
  const chosen = ids.length ? registry.filter((b) => ids.includes(b.id)) : registry;
  const unknown = ids.filter((id) => !registry.some((b) => b.id === id));
  const errors = unknown.map((id) => `unknown bench "${id}" (known: ${registry.map((b) => b.id).join(', ')})`);
  const rows: BenchRow[] = [];
  for (const b of chosen) {
    log(`[${b.id}] ${b.title}`);
    try {
      rows.push(...(await b.run({ log: (l) => log(`[${b.id}] ${l}`) })));
    } catch (e) {
      errors.push(`[${b.id}] failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { rows, errors };
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const { rows, errors } = await runBenches(process.argv.slice(2), (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(`${formatTable(rows)}\n`);
  for (const e of errors) process.stderr.write(`${e}\n`);
  // Not process.exit (cli/main.ts owns that): a non-zero exit code for CI when anything failed.
  if (errors.length > 0 || rows.some((r) => r.pass === false)) process.exitCode = 1;
}
