// sandbox up → a detached supervisor holds a live cluster; sandbox down leaves no process behind.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { formatSandboxInfo, sandboxDown, sandboxUp } from '../../src/sim/sandbox.js';
import { ensureBuilt, pidAlive, REPO, runCmd, ssh } from './helpers.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) {
    await sandboxDown(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

it('sandboxUp starts a reachable cluster; sandboxDown stops the supervisor and every node daemon', async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sim-sandbox-'));
  const info = await sandboxUp({ dir, nodes: 2 });
  expect(info.nodes.length).toBe(2);
  expect(pidAlive(info.pid)).toBe(true);
  const text = formatSandboxInfo(info);
  for (const p of [info.inventoryPath, info.knownHostsPath, info.keyPath, info.tarballPath, info.sidecarPath])
    expect(text).toContain(p);
  expect(text).toContain(`-p ${info.nodes[0].sshPort} ${info.user}@${info.nodes[0].host}`);
  const n = info.nodes[1];
  const r = await ssh(
    { key: info.keyPath, knownHosts: info.knownHostsPath, port: n.sshPort, user: info.user, host: n.host },
    `${n.rootDir}/bin/emqx ctl status`,
  );
  expect(r).toEqual({ stdout: "Node 'emqx@127.0.0.12' 5.10.4 is started\n", stderr: '', code: 0 });
  expect(await sandboxUp({ dir })).toEqual(info); // already up: same sandbox
  const daemons = await Promise.all(
    info.nodes.map(async (x) => Number(await readFile(join(x.rootDir, '.sim', 'daemon.pid'), 'utf8'))),
  );
  expect(daemons.every(pidAlive)).toBe(true);
  expect(await sandboxDown(dir)).toBe(true);
  expect(pidAlive(info.pid)).toBe(false);
  expect(daemons.some(pidAlive)).toBe(false);
  await sandboxDown(dir); // idempotent
  expect(await sandboxDown(join(dir, 'no-such-sandbox'))).toBe(false);
});

it('`sandbox up --layout pkg --ssh-user ops` through the built CLI: a sudo-only package sandbox; bad --layout exits 2', async () => {
  ensureBuilt();
  const main = join(REPO, 'dist', 'cli', 'main.js');
  const d = await mkdtemp(join(tmpdir(), 'sim-sandbox-pkg-'));
  try {
    const bad = await runCmd(process.execPath, [main, 'sandbox', 'up', '--dir', d, '--layout', 'rpm']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--layout: expected tgz or pkg, found "rpm"');
    const up = await runCmd(process.execPath, [
      main,
      'sandbox',
      'up',
      '--dir',
      d,
      '--nodes',
      '1',
      '--layout',
      'pkg',
      '--ssh-user',
      'ops',
    ]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('layout:      pkg (deb-like); log in as ops');
    expect(up.stdout).toContain(
      `etc ${join(d, 'nodes/1/etc/emqx')}  data ${join(d, 'nodes/1/var/lib/emqx')}  log ${join(d, 'nodes/1/var/log/emqx')}`,
    );
    const info = JSON.parse(await readFile(join(d, 'sandbox.json'), 'utf8')) as Awaited<ReturnType<typeof sandboxUp>>;
    const n = info.nodes[0];
    expect(info.user).toBe('ops');
    const at = (cmd: string) =>
      ssh({ key: info.keyPath, knownHosts: info.knownHostsPath, port: n.sshPort, user: 'ops', host: n.host }, cmd);
    expect(await at(`${n.rootDir}/bin/emqx ctl status`)).toEqual({
      stdout: 'You need to be root or use sudo to run this command\n',
      stderr: '',
      code: 1,
    });
    expect((await at(`sudo -n ${n.rootDir}/bin/emqx ctl status`)).stdout).toBe(
      "Node 'emqx@127.0.0.11' 5.10.4 is started\n",
    );
    const daemon = Number(await readFile(join(n.rootDir, '.sim', 'daemon.pid'), 'utf8'));
    expect(pidAlive(daemon)).toBe(true);
    expect(await sandboxDown(d)).toBe(true);
    expect(pidAlive(daemon)).toBe(false);
    expect(pidAlive(info.pid)).toBe(false);
  } finally {
    await sandboxDown(d);
    await rm(d, { recursive: true, force: true });
  }
});
