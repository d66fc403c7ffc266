// `--pause-after` on a real terminal (tmux): the live view asks for a key (y continues), and with
// --plain a line prompt asks (n ends the run paused, exit 5). Nothing is awaited from other shells.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from './support/cli.js';
import { runningVersion, startCluster, type E2eCluster } from './support/cluster.js';

const CI = process.env.CI === 'true';
const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasTmux && !CI)
  process.stdout.write('SKIP approvals on a terminal: tmux is not installed; CI=true makes this a failure\n');

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.CI; // a terminal that is not CI: the live view
  delete env.CONTINUOUS_INTEGRATION;
  return env;
}

describe.skipIf(!hasTmux && !CI)('approval on a terminal (tmux)', { timeout: 180_000 }, () => {
  const sock = `emqx-rollout-approval-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', sock, ...a], { encoding: 'utf8', env: childEnv() });
  let a: E2eCluster;
  let b: E2eCluster;
  beforeAll(async () => {
    [a, b] = await Promise.all([startCluster('tty-y', { nodes: 2 }), startCluster('tty-n', { nodes: 2 })]);
  }, 120_000);
  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  async function screenUntil(session: string, re: RegExp, ms = 90_000): Promise<string> {
    const until = Date.now() + ms;
    let screen = '';
    while (Date.now() < until) {
      screen = tmux('capture-pane', '-p', '-J', '-t', session);
      if (re.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${re} never appeared on screen:\n${screen}`);
  }

  it('the live view asks; the y key continues with the next node (exit 0)', async () => {
    expect(hasTmux, 'tmux is required under CI=true').toBe(true);
    const cmd = `node '${cliPath()}' upgrade -i '${a.inventoryPath}' --tarball '${a.tarballPath}' --yes --pause-after 1; echo EXIT=$?; sleep 60`;
    tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', 'live', cmd);
    const asked = await screenUntil('live', /AWAITING APPROVAL/);
    expect(asked).toContain('press y to continue with the next node');
    expect(asked).toContain(`next node ${a.nodes[1].name}`);
    tmux('send-keys', '-t', 'live', 'y');
    const end = await screenUntil('live', /EXIT=\d+/);
    expect(end, end).toMatch(/EXIT=0\b/);
    expect(end).toMatch(/approved by \S+@\S+: continuing with/);
    expect(await runningVersion(a.nodes[1])).toBe('5.10.5');
  });

  it('with --plain a prompt asks; n ends the run paused (exit 5)', async () => {
    const cmd = `node '${cliPath()}' upgrade -i '${b.inventoryPath}' --tarball '${b.tarballPath}' --yes --plain --pause-after 1; echo EXIT=$?; sleep 60`;
    tmux('new-session', '-d', '-x', '160', '-y', '50', '-s', 'plain', cmd);
    await screenUntil('plain', /Continue with the next node\? \[y\/n\]/);
    tmux('send-keys', '-t', 'plain', 'n', 'Enter');
    const end = await screenUntil('plain', /EXIT=\d+/);
    expect(end, end).toMatch(/EXIT=5\b/);
    expect(end).toMatch(/rejected by \S+@\S+: stopping before/);
    expect(await runningVersion(b.nodes[1])).toBe('5.10.4');
  });
});
