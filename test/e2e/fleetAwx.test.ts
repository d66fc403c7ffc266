// examples/awx-playbook.yml really works: Ansible's own ansible-playbook runs it against a simulated
// cluster (the play's "host" is the cluster), it runs one `upgrade --json`, keeps the events next to
// the journal and report in the cluster's state dir, and maps a failing exit code to a failed play.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, REPO } from './support/cli.js';
import { runningVersion, startCluster, type E2eCluster } from './support/cluster.js';

const PLAYBOOK = '/usr/bin/ansible-playbook';
function haveAnsible(): boolean {
  if (existsSync(PLAYBOOK)) return true;
  if (process.env.CI === 'true')
    throw new Error('ansible-playbook is required under CI=true: apt-get install -y ansible');
  console.warn('[skip] ansible-playbook not found: the AWX recipe is only checked by fleetRecipes.test.ts');
  return false;
}

function playbook(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile(
      PLAYBOOK,
      args,
      {
        cwd: REPO,
        timeout: 230_000,
        env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ...env },
        maxBuffer: 1 << 24,
      },
      (err, stdout, stderr) =>
        res({
          code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
          out: stdout + stderr,
        }),
    );
  });
}

describe.skipIf(!haveAnsible())('examples/awx-playbook.yml under ansible-playbook', () => {
  let c: E2eCluster;
  let tmp: string;
  let clusters: string;
  let wrapper: string;
  beforeAll(async () => {
    c = await startCluster('awx', { nodes: 2 });
    tmp = await mkdtemp(join(tmpdir(), 'awx-'));
    // argv[0] of the task: the built CLI, as an installed `emqx-rollout` would be
    wrapper = join(tmp, 'emqx-rollout');
    await writeFile(wrapper, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath())} "$@"\n`);
    await chmod(wrapper, 0o755);
    clusters = join(tmp, 'clusters.yml');
    await writeFile(
      clusters,
      `emqx_clusters:\n  hosts:\n    sim:\n      emqx_rollout_inventory: ${JSON.stringify(c.inventoryPath)}\n      ansible_python_interpreter: ${JSON.stringify('/usr/bin/python3')}\n`,
    );
  }, 120_000);
  afterAll(async () => {
    await c?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const vars = (tarball: string) => [
    '-e',
    `release_tarball=${tarball}`,
    '-e',
    `rollout_command=${wrapper}`,
    '-e',
    `rollout_state_root=${join(tmp, 'state')}`,
  ];

  it('upgrades the cluster and keeps journal, report and events in <state_root>/<cluster>/', async () => {
    const r = await playbook(['examples/awx-playbook.yml', '-i', clusters, ...vars(c.tarballPath)], {});
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/sim\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
    for (const n of c.nodes) expect(await runningVersion(n)).toBe(c.to);
    const files = await readdir(join(tmp, 'state', 'sim'));
    expect(files).toContain('journal.ndjson');
    expect(files.some((f) => /^report-.*\.md$/.test(f))).toBe(true);
    const events = files.find((f) => /^events-.*\.ndjson$/.test(f));
    expect(events).toBeDefined();
    const last = (await readFile(join(tmp, 'state', 'sim', events!), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(last.filter((e) => e.type !== 'log').at(-1)?.type).toBe('rollout.done');
  }, 240_000);

  it('a failing run fails the play with the exit code and its meaning', async () => {
    const r = await playbook(['examples/awx-playbook.yml', '-i', clusters, ...vars(join(tmp, 'missing.tar.gz'))], {});
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/sim: the rollout exited 2: bad input/);
    expect(r.out).toMatch(/sim\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=1/);
  }, 240_000);
});
