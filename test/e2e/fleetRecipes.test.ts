// The fleet recipes in examples/ (GitHub Actions, Kubernetes Job, Ansible/AWX) are YAML that parses,
// and every emqx-rollout command line they run exists in the built CLI: its subcommand and each of
// its flags appear in that subcommand's --help. Each recipe runs `upgrade … --json` per cluster and
// keeps the state directory (journal + report) somewhere that outlives the run.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ensureBuilt, REPO } from '../support/build.js';

const RECIPES = ['github-actions.yml', 'k8s-job.yaml', 'awx-playbook.yml'] as const;

/** Every string in the documents; an argv list starting with a command is joined into one line. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string') && v.length > 1) out.push(v.join(' '));
    for (const x of v) strings(x, out);
  } else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

interface CommandLine {
  readonly sub: string;
  readonly flags: readonly string[];
  readonly line: string;
}

/** `emqx-rollout SUB …` (or `{{ rollout_command }} SUB …` in the playbook), shell continuations joined. */
export function commandLines(text: string): CommandLine[] {
  const out: CommandLine[] = [];
  const joined = text.replace(/\\\n\s*/g, ' ');
  for (const line of joined.split('\n')) {
    const m = /(?:^|[\s;&|(])(?:emqx-rollout|\{\{ rollout_command \}\})\s+([a-z][a-z-]*)(.*)$/.exec(line);
    if (!m) continue;
    const args = m[2].split(/\s(?:\||;|&&|\|\||>{1,2})\s/)[0]; // up to a pipe, list or redirection
    const flags = [...args.matchAll(/(?:^|\s)(--?[a-zA-Z][a-zA-Z-]*)/g)].map((x) => x[1]);
    out.push({ sub: m[1], flags, line: line.trim() });
  }
  return out;
}

const help = new Map<string, string>();
function helpOf(sub: string): string {
  if (!help.has(sub)) {
    help.set(
      sub,
      execFileSync(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), sub, '--help'], { encoding: 'utf8' }),
    );
  }
  return help.get(sub)!;
}

beforeAll(() => ensureBuilt());

describe.each(RECIPES)('examples/%s', (file) => {
  const text = readFileSync(join(REPO, 'examples', file), 'utf8');

  it('parses as YAML without errors or warnings', () => {
    const docs = parseAllDocuments(text);
    expect(Array.isArray(docs)).toBe(true);
    for (const d of docs as ReturnType<typeof parseAllDocuments> & unknown[]) {
      expect(d.errors, file).toEqual([]);
      expect(d.warnings, file).toEqual([]);
      expect(d.toJS()).toBeTruthy();
    }
  });

  it('every emqx-rollout command line it runs exists in the CLI (subcommand and each flag)', () => {
    const docs = parseAllDocuments(text) as unknown as { toJS(): unknown }[];
    // an argv list is seen joined and element by element: count each command line once
    const all = docs.flatMap((d) => strings(d.toJS())).flatMap(commandLines);
    const lines = all.filter((c, i) => all.findIndex((x) => x.line === c.line) === i);
    expect(lines.length, 'at least one emqx-rollout command').toBeGreaterThan(0);
    for (const c of lines) {
      const h = helpOf(c.sub);
      expect(h, `${c.sub} is a command`).toMatch(new RegExp(`^Usage: emqx-rollout ${c.sub} `));
      for (const f of c.flags)
        expect(h, `${c.line}: ${f} in \`${c.sub} --help\``).toMatch(new RegExp(`(^|[\\s,])${f}[\\s,<]`, 'm'));
    }
    // one machine-readable upgrade per cluster, non-interactive, with its state dir kept
    const up = lines.filter((c) => c.sub === 'upgrade');
    expect(up).toHaveLength(1);
    expect(up[0].flags).toEqual(expect.arrayContaining(['--json', '--yes', '--state-dir', '--tarball']));
    expect(up[0].flags.some((f) => f === '-i' || f === '--inventory')).toBe(true);
  });
});

describe('commandLines (the extractor the recipes test relies on)', () => {
  it.each([
    ['emqx-rollout upgrade -i a.yaml --tarball t --yes --json', 'upgrade', ['-i', '--tarball', '--yes', '--json']],
    ['x && emqx-rollout plan \\\n  --json --state-dir "$D"', 'plan', ['--json', '--state-dir']],
    ['{{ rollout_command }} upgrade -i inv --bogus', 'upgrade', ['-i', '--bogus']],
    ['emqx-rollout status -i a --json | tee -a log > out', 'status', ['-i', '--json']],
  ])('%j', (text, sub, flags) => {
    expect(commandLines(text)).toMatchObject([{ sub, flags }]);
  });

  it('ignores npm package specs and prose', () => {
    expect(commandLines('npm install --global "emqx-rollout@${V}"\n# run emqx-rollout')).toEqual([]);
  });

  it('a flag the CLI lacks would fail the check', () => {
    expect(helpOf('upgrade')).not.toMatch(/(^|[\s,])--bogus[\s,<]/m);
  });
});
