// `emqx-rollout demo` end to end, as a user meets it: the BUILT CLI under a real pseudo-terminal
// (tmux) with the Ink view, and without a terminal (plain lines). Both must end with every node at
// the target, 0 disconnects, 0 lost, exit 0 — and leave no process and no temp dir behind. Ctrl-C
// and SIGTERM mid-run must clean up just as well.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const CI = process.env.CI === 'true';
/** 3 nodes take ~15–25 s here; generous for a loaded 2-core CI machine. */
const RUN_DEADLINE_MS = 100_000;

/** The child sees no CI (the Ink view must be chosen on the PTY) and no colour (greppable text). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  return env;
}

const demoDirOf = (out: string): string => {
  const m = /demo: starting .* in (\S+emqx-rollout-demo-\S+)/.exec(out);
  if (!m) throw new Error(`no demo dir announced in:\n${out}`);
  return m[1];
};

/** Every process whose command line mentions `needle` (the sim daemons carry their root dir). */
function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push(`${pid}: ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function expectNothingLeft(dir: string): Promise<void> {
  // stopNodeDaemon waits for each daemon to exit, but give the kernel a moment to reap
  const until = Date.now() + 3000;
  while (processesMentioning(dir).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  expect(processesMentioning(dir)).toEqual([]);
  expect(existsSync(dir)).toBe(false);
}

/** The facts the final screen / output must show, whatever the renderer. */
function expectSuccessFacts(text: string, nodes: number): void {
  for (let i = 1; i <= nodes; i++) {
    // the status table: reachable, running, at the target, hot-upgraded, marker set
    expect(text).toMatch(
      new RegExp(
        `^emqx@127\\.0\\.0\\.${10 + i}\\s+ok\\s+running\\s+5\\.10\\.5\\s+hot-upgraded to 5\\.10\\.5\\s+5\\.10\\.5\\b`,
        'm',
      ),
    );
  }
  expect(text).toContain(`cluster sim: ${nodes}/${nodes} nodes running`);
  expect(text).toContain(`✓ ${nodes}/${nodes} nodes hot-upgraded 5.10.4 → 5.10.5 in `);
  expect(text).toMatch(/\b0 disconnects\b/);
  expect(text).toMatch(/\b0 lost\b/);
  const m = /([\d,]+)\/([\d,]+) messages delivered/.exec(text);
  expect(m, 'the verdict names delivered/published').not.toBeNull();
  const [received, published] = [Number(m![1].replace(/,/g, '')), Number(m![2].replace(/,/g, ''))];
  expect(published).toBeGreaterThan(100); // clients × 5 msg/s × ~15 s
  expect(received).toBe(published);
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

/** The built CLI without a terminal; `onOutput` may signal it when a line shows up. */
function runDemo(args: string[], onOutput?: (all: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, 'demo', ...args], {
      cwd: REPO,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const on = (d: Buffer) => {
      out += d.toString('utf8');
      onOutput?.(out, child);
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    const kill = setTimeout(() => child.kill('SIGKILL'), RUN_DEADLINE_MS);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      res({ code, signal, out });
    });
  });
}

beforeAll(() => ensureBuilt(), 180_000);

const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasTmux && !CI)
  process.stdout.write(
    'SKIP demo under a PTY: tmux is not installed (apt-get install tmux); CI=true makes this a failure\n',
  );

// One run at a time: side by side they contend for 2 cores and the file got no faster (measured).
describe.skipIf(!hasTmux && !CI)('demo under a real terminal (tmux)', () => {
  // a private tmux server (-L): killing it cannot touch anyone else's sessions
  const sock = `emqx-rollout-demo-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', sock, ...a], { encoding: 'utf8', env: childEnv() });
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });

  it(
    'shows the live view, then every node at the target, 0 disconnects, 0 lost, and exits 0',
    async () => {
      expect(hasTmux, 'tmux is required under CI=true').toBe(true);
      const cmd = `cd '${REPO}' && node dist/cli/main.js demo; echo EXIT=$? ; sleep 30`;
      tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', 'demo', cmd);
      const until = Date.now() + RUN_DEADLINE_MS;
      let screen = '';
      let sawLive = false;
      while (Date.now() < until) {
        // -J joins lines the terminal wrapped, so a long status row is one line again
        screen = tmux('capture-pane', '-p', '-J', '-t', 'demo');
        if (/⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏/.test(screen) && /MQTT: \d+ clients/.test(screen)) sawLive = true;
        if (/EXIT=\d+/.test(screen)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(screen, screen).toMatch(/EXIT=0\b/);
      expect(sawLive, 'the Ink live view (spinner + MQTT line) was on screen while it ran').toBe(true);
      expectSuccessFacts(screen, 3);
      expect(screen).toMatch(/MQTT: 30 clients, 0 disconnects, \d+ published, \d+ received, 0 lost/); // the view's own line
      expect(screen).toMatch(/Done in [\d.]+s: 3 upgraded/);
      await expectNothingLeft(demoDirOf(screen));
    },
    RUN_DEADLINE_MS + 20_000,
  );
});

describe('demo without a terminal', () => {
  it(
    'prints plain lines with the same facts, exits 0 and leaves no process behind',
    async () => {
      const r = await runDemo(['--plain']);
      expect(r.code, r.out).toBe(0);
      expect(r.out).not.toMatch(/\x1b\[/); // no cursor movement or colour on a pipe
      expect(r.out).toMatch(/^\S+Z MQTT: 30 clients, 0 disconnects, \d+ published, \d+ received, 0 lost$/m);
      expectSuccessFacts(r.out, 3);
      await expectNothingLeft(demoDirOf(r.out));
    },
    RUN_DEADLINE_MS + 20_000,
  );

  it(
    'on Ctrl-C stops after the node in flight, exits 130 and cleans up',
    async () => {
      let sent = false;
      const r = await runDemo(['--plain', '--nodes', '2', '--clients', '2'], (all, child) => {
        if (!sent && /\[emqx@127\.0\.0\.11\] upgrade…/.test(all)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      expect(sent).toBe(true);
      expect(r.code, r.out).toBe(130);
      expect(r.out).toContain('[emqx@127.0.0.11] upgraded 5.10.4 → 5.10.5'); // the node in flight finished its gates
      expect(r.out).not.toContain('[emqx@127.0.0.12] upgrade…'); // and nothing further was touched
      expect(r.out).toMatch(/✗ 1\/2 nodes hot-upgraded .* 0 disconnects, .* 0 lost/);
      await expectNothingLeft(demoDirOf(r.out));
    },
    RUN_DEADLINE_MS,
  );

  it(
    'on SIGTERM while the cluster starts, aborts and cleans up',
    async () => {
      let sent = false;
      const r = await runDemo(['--plain', '--nodes', '2', '--clients', '1'], (all, child) => {
        if (!sent && /demo: starting/.test(all)) {
          sent = true;
          child.kill('SIGTERM');
        }
      });
      expect(sent).toBe(true);
      expect(r.code, r.out).toBe(130);
      expect(r.out).toContain('interrupted');
      await expectNothingLeft(demoDirOf(r.out));
    },
    RUN_DEADLINE_MS,
  );
});
