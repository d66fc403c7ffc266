// The cost model of a real node: `sandbox up --ctl-latency-ms N` makes every `emqx ctl` call of
// every node wait N ms first (a real `emqx ctl` starts two Erlang VMs: nodetool ping, then
// nodetool rpc_infinity). Off by default; other bin/emqx commands are not delayed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { sandboxDown } from '../../src/sim/sandbox.js';
import { emqx, ensureBuilt, REPO, runCmd } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) {
    await sandboxDown(d);
    await rm(d, { recursive: true, force: true });
  }
});

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; r: T }> {
  const t0 = performance.now();
  const r = await f();
  return { ms: performance.now() - t0, r };
}

const nodeJson = async (root: string) =>
  JSON.parse(await readFile(join(root, '.sim', 'node.json'), 'utf8')) as Record<string, unknown>;

it("sandbox up --ctl-latency-ms delays every node's `emqx ctl`, before and after a hot upgrade; off by default", async () => {
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'sim-ctl-latency-'));
  dirs.push(dir);
  const cli = join(REPO, 'dist', 'cli', 'main.js');
  const up = await runCmd(process.execPath, [
    cli,
    'sandbox',
    'up',
    '--dir',
    dir,
    '--nodes',
    '2',
    '--ctl-latency-ms',
    '900',
  ]);
  expect(up.code, up.stderr).toBe(0);
  const roots = [1, 2].map((i) => join(dir, 'nodes', String(i), 'emqx'));
  const tmp = join(dir, 'nodes', '2', 'tmp');
  for (const root of roots) expect((await nodeJson(root)).ctlLatencyMs).toBe(900);

  const status = await timed(() => emqx(roots[1], ['ctl', 'status'], tmp));
  expect(status.r).toEqual({ stdout: "Node 'emqx@127.0.0.12' 5.10.4 is started\n", stderr: '', code: 0 });
  expect(status.ms).toBeGreaterThanOrEqual(900);

  // after a hot upgrade bin/emqx execs relup/<T>/bin/emqx: the setting is the node's, not the tree's
  const tarball = join(dir, 'release', 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz');
  const hop = await timed(() => emqx(roots[1], ['ctl', 'relup', 'upgrade', tarball], tmp));
  expect(hop.r.code, hop.r.stdout + hop.r.stderr).toBe(0);
  expect(hop.ms).toBeGreaterThanOrEqual(900);
  const after = await timed(() => emqx(roots[1], ['ctl', 'status'], tmp));
  expect(after.r.stdout).toBe("Node 'emqx@127.0.0.12' 5.10.5 is started\n");
  expect(after.ms).toBeGreaterThanOrEqual(900);

  // not a ctl command: no VM-start cost modelled. With a one-minute latency set, root_dir would take
  // a minute if it paid it; 20 s is ample however loaded the machine (a timing-free check).
  const cfgPath = join(roots[0], '.sim', 'node.json');
  await writeFile(cfgPath, JSON.stringify({ ...(await nodeJson(roots[0])), ctlLatencyMs: 60_000 }));
  const rootDir = await timed(() => emqx(roots[0], ['root_dir']));
  expect(rootDir.r.stdout).toBe(`${roots[0]}\n`);
  expect(rootDir.ms).toBeLessThan(20_000);

  // default: no setting written, so ordinary tests pay nothing
  const plain = await mkdtemp(join(tmpdir(), 'sim-ctl-latency-off-'));
  dirs.push(plain);
  const up2 = await runCmd(process.execPath, [cli, 'sandbox', 'up', '--dir', plain, '--nodes', '1']);
  expect(up2.code, up2.stderr).toBe(0);
  expect((await nodeJson(join(plain, 'nodes', '1', 'emqx'))).ctlLatencyMs).toBeUndefined();
}, 120_000);
