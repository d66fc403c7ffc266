// examples/rehearse-in-ci.sh is a working script: it rehearses a whole rollout on a sandbox and
// exits 0, stops the sandbox it started, and fails (non-zero) when the tool it runs fails.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, REPO } from '../support/build.js';

const SCRIPT = join(REPO, 'examples', 'rehearse-in-ci.sh');
let tmp: string;

function bash(env: Record<string, string>, timeout: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      'bash',
      [SCRIPT],
      { cwd: REPO, timeout, killSignal: 'SIGTERM', env: { ...process.env, NO_COLOR: '1', ...env } },
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

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  ensureBuilt();
  tmp = await mkdtemp(join(tmpdir(), 'examples-'));
});
afterAll(async () => {
  // Belt and braces: the script's trap should already have stopped it.
  await execFileP(['sandbox', 'down', '--dir', join(tmp, 'sbx')]);
  await rm(tmp, { recursive: true, force: true });
});

function execFileP(args: string[]): Promise<void> {
  return new Promise((res) =>
    execFile(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), ...args], { cwd: REPO, timeout: 20_000 }, () =>
      res(),
    ),
  );
}

it('rehearse-in-ci.sh upgrades a sandbox, checks the result, and stops the sandbox', async () => {
  const dir = join(tmp, 'sbx');
  const r = await bash({ DIR: dir, NODES: '2' }, 45_000);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain('[rehearse] OK: 2 nodes upgraded to 5.10.5');
  // The upgrade's NDJSON ended in rollout.done, as the script asserted.
  const events = readFileSync(join(dir, 'out', 'rollout.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string });
  expect(events.filter((e) => e.type !== 'log').at(-1)?.type).toBe('rollout.done');
  // The trap ran `sandbox down`: no sandbox.json, the supervisor is gone.
  expect(r.stderr).toContain(`sandbox in ${dir} stopped`);
  expect(existsSync(join(dir, 'sandbox.json'))).toBe(false);
  const pid = Number(/supervisor pid (\d+)/.exec(r.stderr)?.[1]);
  expect(pid).toBeGreaterThan(0);
  expect(pidAlive(pid)).toBe(false);
}, 60_000);

it('fails when the tool fails (here: a command that exits 3)', async () => {
  const r = await bash({ DIR: join(tmp, 'never'), EMQX_ROLLOUT: `${process.execPath} -e process.exit(3)` }, 10_000);
  expect(r.code).not.toBe(0);
  expect(r.stderr).not.toContain('[rehearse] OK');
});
