// `--help` of the program and of every subcommand works (exit 0, stdout) and shows examples;
// `--version` prints the version; the demo refuses sizes it cannot run, before starting anything.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(REPO, 'dist', 'cli', 'main.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO, timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        res({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test builds first)`);
});

const COMMANDS = [
  [],
  ['plan'],
  ['upgrade'],
  ['status'],
  ['restart'],
  ['cleanup'],
  ['logs'],
  ['recover-boot'],
  ['sandbox'],
  ['sandbox', 'up'],
  ['sandbox', 'down'],
  ['demo'],
];

describe('emqx-rollout --help', () => {
  it.each(COMMANDS.map((c) => [c.join(' ') || '(program)', c] as const))(
    '%s --help: exit 0, usage and examples on stdout',
    async (_name, cmd) => {
      const r = await cli([...cmd, '--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: emqx-rollout${cmd.length ? ` ${cmd.join(' ')}` : ''} `));
      expect(r.stdout).toMatch(/\nExamples?:\n {2}emqx-rollout \S+/);
      expect(r.stderr).toBe('');
    },
  );

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('demo input', () => {
  it('refuses more nodes or clients than one machine can run, with exit 2 and what to do', async () => {
    const n = await cli(['demo', '--nodes', '500']);
    expect(n.code).toBe(2);
    expect(n.stderr).toContain('--nodes 500: the demo runs at most 20 simulated nodes');
    expect(n.stderr).toContain('use --nodes 20 or fewer');
    expect(n.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const c = await cli(['demo', '--clients', '0']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('--clients must be an integer ≥ 1');
  });
});
