// A running simulated node answers `emqx ctl` through the wrapper's Perl client (no Node start per
// call: wrapperScript.ts FAST_CTL). It must be indistinguishable from the full CLI: same stdout,
// stderr and exit code for every command, including failures, non-ASCII output and a node that is
// down; and it must really be the path taken (a Node start is made impossible and the call still works).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sandboxDown } from '../../src/sim/sandbox.js';
import { emqx, ensureBuilt, REPO, runCmd } from './helpers.js';

let dir = '';
let root = '';
let tmp = '';
beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sim-fast-ctl-'));
  const up = await runCmd(process.execPath, [
    join(REPO, 'dist', 'cli', 'main.js'),
    'sandbox',
    'up',
    '--dir',
    dir,
    '--nodes',
    '2',
  ]);
  expect(up.code, up.stderr).toBe(0);
  root = join(dir, 'nodes', '1', 'emqx');
  tmp = join(dir, 'nodes', '1', 'tmp');
}, 120_000);
afterAll(async () => {
  if (dir) {
    await sandboxDown(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

const slowEnv = () => ({ ...process.env, TMPDIR: tmp, EMQX_SIM_SLOW_CTL: '1' });
const fastEnv = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, TMPDIR: tmp, ...extra });
const bin = () => join(root, 'bin', 'emqx');

it('every ctl answer is byte for byte the full CLI answer', async () => {
  const commands = [
    ['ctl', 'status'],
    ['ctl', 'relup', 'status'],
    ['ctl', 'relup', 'logs'],
    ['ctl', 'relup', 'list-supported-paths'],
    ['ctl', 'plugins', 'list'],
    ['ctl', 'cluster', 'status', '--json'],
    ['ctl', 'broker', 'stats'],
    ['ctl', 'relup', 'upgrade', '/nonexistent/é "x".tar.gz'], // a failure, quotes and non-ASCII in args
    ['ctl', 'no-such-command', 'a\tb'],
  ];
  for (const c of commands) {
    const slow = await runCmd(bin(), c, slowEnv());
    const fast = await runCmd(bin(), c, fastEnv());
    expect(fast, c.join(' ')).toEqual(slow);
  }
});

it('it is the Perl path: with Node unable to start, a running node still answers', async () => {
  const broken = fastEnv({ NODE_OPTIONS: '--require /nonexistent/emqx-rollout-no-such-module.cjs' });
  const fast = await runCmd(bin(), ['ctl', 'status'], broken);
  expect(fast.code, fast.stderr).toBe(0);
  expect(fast.stdout).toMatch(/is started\n$/);
  const slow = await runCmd(bin(), ['ctl', 'status'], { ...broken, EMQX_SIM_SLOW_CTL: '1' });
  expect(slow.code).not.toBe(0); // the full CLI needs Node: proves the first answer did not
});

it('a node that is down answers as the full CLI does (the client hands over to it)', async () => {
  expect((await emqx(root, ['stop'], tmp)).code).toBe(0);
  const slow = await runCmd(bin(), ['ctl', 'status'], slowEnv());
  const fast = await runCmd(bin(), ['ctl', 'status'], fastEnv());
  expect(fast).toEqual(slow);
  expect(fast.stdout + fast.stderr).toMatch(/not responding to pings/);
  expect(fast.code).toBe(1);
});
