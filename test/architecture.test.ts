// The layering of src/, read with the TypeScript compiler (every import, export-from and dynamic
// import, type-only ones included), so the architecture in the README cannot rot silently:
//   cli → inventory, release, remote, emqx, rollout, ui, sim (the edge: wires everything)
//   rollout → emqx, inventory, release, remote (never ui, never sim)
//   ui → rollout's types and events (never remote)
//   emqx → util only among our layers (never remote: command text and parsers are pure)
//   remote, rollout → never sim; sim → never rollout
//   decision files (pure judgement) → nothing from remote/
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(e)) out.push(p);
  }
  return out;
}

/** Every relative module a file imports, resolved to a path under src/ (no extension). */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.ES2022,
    true,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const specs: string[] = [];
  const visit = (n: ts.Node): void => {
    if (
      (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) &&
      n.moduleSpecifier &&
      ts.isStringLiteral(n.moduleSpecifier)
    ) {
      specs.push(n.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments[0] &&
      ts.isStringLiteral(n.arguments[0])
    ) {
      specs.push(n.arguments[0].text);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      specs.push(n.argument.literal.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\.(js|tsx?)$/, ''));
}

const files = walk(SRC).map((f) => ({ file: relative(SRC, f), imports: importsOf(f) }));
const layer = (p: string): string => p.split('/')[0];

/** Files whose job is judgement only: facts in, verdict out. */
const DECISION_FILES = [
  'rollout/upgrade/preflight.ts',
  'rollout/upgrade/plan.ts',
  'rollout/upgrade/gates.ts',
  'rollout/upgrade/mqttJudge.ts',
  'rollout/upgrade/window.ts',
  'rollout/upgrade/verdicts.ts',
  'rollout/upgrade/emptyFailure.ts',
  'rollout/plan/hops.ts',
  'rollout/plan/estimate.ts',
  'rollout/plan/schedule.ts',
  'rollout/restart/plan.ts',
  'rollout/restart/gates.ts',
  'rollout/observe/bootState.ts',
  'rollout/core/failure.ts',
  'rollout/state/resume.ts',
  'rollout/state/records.ts',
];

const RULES: ReadonlyArray<{
  readonly name: string;
  readonly from: (f: string) => boolean;
  readonly to: (i: string) => boolean;
}> = [
  { name: 'rollout never imports ui', from: (f) => layer(f) === 'rollout', to: (i) => layer(i) === 'ui' },
  { name: 'ui never imports remote', from: (f) => layer(f) === 'ui', to: (i) => layer(i) === 'remote' },
  { name: 'emqx never imports remote', from: (f) => layer(f) === 'emqx', to: (i) => layer(i) === 'remote' },
  // release/ for BUILD_INFO and emqx_vars, which are files of a release.
  {
    name: 'emqx imports only util and release among our layers',
    from: (f) => layer(f) === 'emqx',
    to: (i) => !['emqx', 'util', 'release'].includes(layer(i)),
  },
  { name: 'remote never imports sim', from: (f) => layer(f) === 'remote', to: (i) => layer(i) === 'sim' },
  {
    name: 'remote never imports the inventory or rollout',
    from: (f) => layer(f) === 'remote',
    to: (i) => ['inventory', 'rollout'].includes(layer(i)),
  },
  { name: 'rollout never imports sim', from: (f) => layer(f) === 'rollout', to: (i) => layer(i) === 'sim' },
  { name: 'sim never imports rollout', from: (f) => layer(f) === 'sim', to: (i) => layer(i) === 'rollout' },
  { name: 'release never imports rollout', from: (f) => layer(f) === 'release', to: (i) => layer(i) === 'rollout' },
  {
    name: 'decision files import nothing from remote',
    from: (f) => DECISION_FILES.includes(f),
    to: (i) => layer(i) === 'remote',
  },
  { name: 'util is a leaf', from: (f) => layer(f) === 'util', to: (i) => layer(i) !== 'util' },
];

describe('architecture: imports between layers', () => {
  it('reads imports of every kind (a static, a type-only, a dynamic and an export-from)', () => {
    // The reader itself must be able to see a violation, or every rule below passes vacuously.
    const probe = importsOf(join(SRC, 'cli', 'program.ts'));
    expect(probe).toContain('cli/exitCodes');
    expect(probe).toContain('cli/commands/upgrade'); // a dynamic import()
    expect(files.find((f) => f.file === 'rollout/core/types.ts')?.imports).toContain('release/types'); // export type … from
    expect(files.length).toBeGreaterThan(100);
  });

  it('every decision file exists', () => {
    for (const f of DECISION_FILES)
      expect(
        files.map((x) => x.file),
        f,
      ).toContain(f);
  });

  for (const rule of RULES) {
    it(rule.name, () => {
      const bad = files.flatMap((f) =>
        rule.from(f.file) ? f.imports.filter(rule.to).map((i) => `${f.file} → ${i}`) : [],
      );
      expect(bad).toEqual([]);
    });
  }
});
