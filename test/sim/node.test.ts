// One simulated node driven through its real bin/emqx (child_process), as an operator's shell
// would: every output string, exit code and file effect of reference/emqx-cli-facts.md, the
// upgrade check order, and each fault.
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopNodeDaemon } from '../../src/sim/cluster.js';
import { clearFaults, setFaults } from '../../src/sim/faults.js';
import { buildReleaseTarball, type TarballResult } from '../../src/sim/tarball.js';
import { emqx, ensureBuilt, pidAlive } from './helpers.js';

let dir: string;
let root: string;
let tmp: string;
let staging: string;
let r5: TarballResult;
let r6: TarballResult;
let rEl9: TarballResult;
let rOtp26: TarballResult;
const e = (...args: string[]) => emqx(root, args, tmp);
const upgrade = (path: string, ...extra: string[]) => e('ctl', 'relup', 'upgrade', path, ...extra);
const NODE = "'emqx@127.0.0.1'";

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sim-node-'));
  root = join(dir, 'emqx');
  tmp = join(dir, 'tmp');
  staging = join(dir, 'staging');
  await Promise.all([root, tmp, staging].map((d) => mkdir(d, { recursive: true })));
  const [r4] = await Promise.all([
    buildReleaseTarball({ version: '5.10.4', outDir: join(dir, 'r4') }),
    buildReleaseTarball({ version: '5.10.5', outDir: staging }).then((r) => (r5 = r)),
    buildReleaseTarball({ version: '5.10.6', outDir: join(dir, 'r6'), sidecar: 'sha256sum' }).then((r) => (r6 = r)),
    buildReleaseTarball({ version: '5.10.5', outDir: join(dir, 'el9'), os: 'el9' }).then((r) => (rEl9 = r)),
    buildReleaseTarball({ version: '5.10.5', outDir: join(dir, 'otp26'), erlang: '26.2.5.2-1' }).then(
      (r) => (rOtp26 = r),
    ),
  ]);
  await tar.x({ file: r4.tarballPath, cwd: root });
});

afterAll(async () => {
  if (root) await stopNodeDaemon(root);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bin/emqx of a simulated 5.10.4 node', () => {
  it('boots, answers ping/pid/status, and has no restart command', async () => {
    expect(await e('ctl', 'status')).toEqual({
      stdout: '',
      stderr: `Node ${NODE} not responding to pings.\n`,
      code: 1,
    });
    expect(await e('start')).toEqual({
      stdout: 'EMQX Enterprise 5.10.4 is started successfully!\n',
      stderr: '',
      code: 0,
    });
    expect((await e('ping')).stdout).toBe('pong\n');
    const pid = Number((await e('pid')).stdout);
    expect(pidAlive(pid)).toBe(true);
    expect(await e('ctl', 'status')).toEqual({ stdout: `Node ${NODE} 5.10.4 is started\n`, stderr: '', code: 0 });
    expect((await e('root_dir')).stdout).toBe(`${root}\n`);
    const restart = await e('restart');
    expect(restart.code).toBe(1);
    expect(restart.stdout).toMatch(/^Usage: emqx COMMAND/);
    expect((await e('start')).code).toBe(1); // already running
  });

  it('ctl exit codes: broker stats and list-supported-paths exit 1, unknown command → help + 1', async () => {
    const stats = await e('ctl', 'broker', 'stats');
    expect(stats.code).toBe(1);
    expect(stats.stdout).toContain('connections.count             : 0\n');
    const paths = await e('ctl', 'relup', 'list-supported-paths');
    expect(paths).toEqual({ stdout: '5.10.4 -> 5.10.5\n', stderr: '', code: 1 });
    const broker = await e('ctl', 'broker');
    expect(broker.code).toBe(0);
    expect(broker.stdout).toMatch(
      /^sysdescr {2}: EMQX Enterprise\nversion {3}: 5\.10\.4\ndatetime {2}: \d{4}-\d\d-\d\dT[\d:.]{18}[+-]\d\d:\d\d\nuptime {4}: \d+ seconds\n$/,
    );
    const unknown = await e('ctl', 'frobnicate');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/^Usage: emqx ctl\n-{110}\n/);
    expect(unknown.stdout).toContain('relup list-supported-paths');
    expect(await e('ctl', 'cluster', 'status')).toEqual({
      stdout: `Cluster status: #{running_nodes => [${NODE}],stopped_nodes => []}\n`,
      stderr: '',
      code: 0,
    });
    const usage = await e('ctl', 'relup', 'upgrade', '--force', r5.tarballPath);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/^relup upgrade <TarballPath> \[--force\] # Upgrade/);
    expect(await e('ctl', 'relup', 'status')).toEqual({ stdout: 'idle\n', stderr: '', code: 0 });
    expect((await e('ctl', 'relup', 'logs')).stdout).toBe('no upgrade history on this node\n');
    const plugins = await e('ctl', 'plugins', 'list');
    expect(JSON.parse(plugins.stdout)).toMatchObject([
      { name: 'emqx_relup', rel_vsn: '1.0.1', running_status: 'running', rel_apps: ['emqx_relup-1.0.1'] },
    ]);
    expect(plugins.stdout).toMatch(/^\[\n {2}\{\n {4}"with_config_schema" : false,/);
  });

  it('upgrade checks fail in the real order, print the reason map, and exit 0', async () => {
    // 1. stale patches before anything else (even before the tarball exists)
    await setFaults(root, { stalePatches: true });
    let r = await upgrade('/nonexistent/x.tar.gz');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `upgrade failed, reason: #{dir => <<"${root}/data/patches">>,\n                          err_type => patches_dir_not_empty,\n                          files => [<<"emqx_foo.beam">>],\n${r.stdout.split('\n').slice(3).join('\n')}`,
    );
    // --force skips it: the next check (tarball) fails
    r = await upgrade('/nonexistent/x.tar.gz', '--force');
    expect(r.stdout).toMatch(
      /^upgrade failed, reason: #\{err_type => target_tarball_not_found,\n {26}file => "\/nonexistent\/x\.tar\.gz",\n/,
    );
    await clearFaults(root);
    expect(existsSync(join(root, 'data/patches/emqx_foo.beam'))).toBe(false);
    // 3. sidecar missing / invalid / mismatching
    const bare = join(dir, 'bare', r5.fileName);
    await mkdir(join(dir, 'bare'));
    await copyFile(r5.tarballPath, bare);
    expect((await upgrade(bare)).stdout).toMatch(
      /err_type => missing_sha256_sidecar,\n {26}file =>\n {30}".*\.tar\.gz\.sha256",/,
    );
    await writeFile(`${bare}.sha256`, 'not a digest');
    expect((await upgrade(bare)).stdout).toContain('err_type => invalid_sha256_sidecar');
    await writeFile(`${bare}.sha256`, `${'deadbeef'.padEnd(64, '0')}  ${r5.fileName}\n`);
    r = await upgrade(bare);
    expect(r.stdout).toContain(`<<"${r5.sha256}">>`);
    expect(r.stdout).toMatch(/err_type => sha256_mismatch,\n {26}expected =>\n {30}<<"deadbeef0{56}">>/);
    await setFaults(root, { shaMismatch: true });
    expect((await upgrade(r5.tarballPath)).stdout).toContain('err_type => sha256_mismatch');
    await clearFaults(root);
    // 8. relup/ not writable (after emqx_vars: the row knows the target)
    await setFaults(root, { relupNotWritable: true });
    r = await upgrade(r5.tarballPath);
    expect(r.stdout).toBe(
      `upgrade failed, reason: #{dir => "${root}/relup",\n                          err_type => no_write_permission,\n                          stage => check_and_unpack}\n`,
    );
    await clearFaults(root);
    // the extraction cache lives in $TMPDIR/emqx_relup_<first 16 hex>
    expect(existsSync(join(tmp, `emqx_relup_${r5.sha256.slice(0, 16)}`, 'releases', 'emqx_vars'))).toBe(true);
    // 9. OS / OTP compatibility
    expect((await upgrade(rEl9.tarballPath)).stdout).toContain(String.raw`"os" => "el9\"\n",`);
    expect((await upgrade(rEl9.tarballPath)).stdout).toContain('err_type => os_arch_mismatch');
    expect((await upgrade(rOtp26.tarballPath)).stdout).toContain('err_type => otp_major_vsn_mismatch');
    // 12. no catalog entry — but step 11 already deployed relup/5.10.6/
    r = await upgrade(r6.tarballPath);
    expect(r.stdout).toBe(`upgrade failed, reason: #{err_type => no_relup_entry,from_vsn => "5.10.4",
                          stage => check_and_unpack,
                          supported_paths =>
                              [#{from_version => "5.10.4",
                                 target_version => "5.10.5"}],
                          target_vsn => "5.10.6"}
`);
    expect((await readdir(join(root, 'relup', '5.10.6'))).sort()).toEqual(['bin', 'erts-15.2.7.2', 'lib', 'releases']);
    expect(existsSync(join(root, 'relup', 'current'))).toBe(false);
    // unsupportedPath fault: the catalog lacks the hop
    await setFaults(root, { unsupportedPath: true });
    r = await upgrade(r5.tarballPath);
    expect(r.stdout).toContain('err_type => no_relup_entry,from_vsn => "5.10.4",\n');
    expect(r.stdout).toContain('stage => check_and_unpack,supported_paths => [],\n');
    await clearFaults(root);
    const logs = (await e('ctl', 'relup', 'logs')).stdout.trim().split('\n');
    expect(logs.length).toBe(12);
    expect(logs[0]).toMatch(
      /^started=\S+ finished=\S+ 5\.10\.4 -> {2}status=finished result=#\{details => <<"#\{dir => <<\\".*\\">>,.*">>,err_type => patches_dir_not_empty\}$/,
    );
    expect(logs[6]).toMatch(
      / 5\.10\.4 -> 5\.10\.5 status=finished result=#\{details => .*err_type => no_write_permission\}$/,
    );
  });

  it('plugin faults: stopped/missing unregister relup; 1.0.0 has no --force and an empty catalog', async () => {
    await setFaults(root, { pluginVersion: '1.0.0' });
    let r = await upgrade(r5.tarballPath, '--force');
    expect(r.stdout).toMatch(/^relup upgrade <TarballPath> # Upgrade/);
    expect(await e('ctl', 'relup', 'list-supported-paths')).toEqual({
      stdout: 'no supported upgrade paths in priv catalog\n',
      stderr: '',
      code: 0,
    });
    await setFaults(root, { pluginVersion: '1.0.1', pluginStopped: true });
    r = await e('ctl', 'relup', 'status');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Usage: emqx ctl\n/);
    expect(r.stdout).not.toContain('relup status');
    expect(JSON.parse((await e('ctl', 'plugins', 'list')).stdout)[0].running_status).toBe('stopped');
    await setFaults(root, { pluginStopped: false, pluginMissing: true });
    expect((await e('ctl', 'plugins', 'list')).stdout).toBe('[]\n');
    expect((await e('ctl', 'relup', 'logs')).code).toBe(1);
    await setFaults(root, { nodeDown: true });
    expect(await e('ctl', 'status')).toEqual({
      stdout: '',
      stderr: `Node ${NODE} not responding to pings.\n`,
      code: 1,
    });
    expect((await e('ping')).code).toBe(1);
    await clearFaults(root);
  });

  it('a successful hop: in-progress while running, marker without newline, only runtime dirs deployed', async () => {
    // 4 s of code change: long enough that two `ctl` calls (each a Node process start, ~0.5 s on a
    // loaded 2-core machine) still land inside it.
    await setFaults(root, { slowUpgradeSeconds: 4 });
    const pending = upgrade(r5.tarballPath);
    await new Promise((res) => setTimeout(res, 600));
    expect((await e('ctl', 'relup', 'status')).stdout).toBe('in-progress\n');
    expect((await e('ctl', 'relup', 'logs')).stdout).toMatch(
      /finished= 5\.10\.4 -> {2}status='in-progress' result=<<>>\n$/,
    );
    expect(await pending).toEqual({ stdout: 'upgrade complete\n', stderr: '', code: 0 });
    await clearFaults(root);
    expect(readFileSync(join(root, 'relup', 'current'), 'utf8')).toBe('5.10.5');
    expect((await readdir(join(root, 'relup', '5.10.5'))).sort()).toEqual(['bin', 'erts-15.2.7.2', 'lib', 'releases']);
    expect((await readdir(root)).some((f) => /^relup_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/.test(f))).toBe(true);
    expect((await e('ctl', 'status')).stdout).toBe(`Node ${NODE} 5.10.5 is started\n`);
    expect((await e('ctl', 'relup', 'status')).stdout).toBe(
      'hot-upgraded to 5.10.5; pending on restart to boot from the new version\n',
    );
    expect((await e('ctl', 'relup', 'logs')).stdout.trim().split('\n').at(-1)).toMatch(
      / 5\.10\.4 -> 5\.10\.5 status=finished result=success$/,
    );
    // the same tarball again: duplicate marker; root_dir still the base (answered before the re-exec)
    expect((await upgrade(r5.tarballPath)).stdout).toContain(`err_type => duplicate_pending_target,`);
    expect((await upgrade(r5.tarballPath)).stdout).toMatch(
      new RegExp(`marker_file =>\\s+<<"${root}/relup/current">>,`),
    );
    expect((await e('root_dir')).stdout).toBe(`${root}\n`);
  });

  it('stop/start boots from relup/<T>/: status shows T, relup status idle; logs survive; logs-clear', async () => {
    expect(await e('stop')).toEqual({ stdout: 'ok\n', stderr: '', code: 0 });
    expect((await e('ctl', 'status')).code).toBe(1);
    expect(await e('start')).toEqual({
      stdout: `INFO: Loading emqx from hot-upgrade dir: ${root}/relup\nEMQX Enterprise 5.10.5 is started successfully!\n`,
      stderr: '',
      code: 0,
    });
    expect((await e('ctl', 'status')).stdout).toBe(`Node ${NODE} 5.10.5 is started\n`);
    expect((await e('ctl', 'relup', 'status')).stdout).toBe('idle\n');
    expect((await e('ctl', 'broker')).stdout).toMatch(/uptime {4}: \d seconds\n$/);
    expect((await e('ctl', 'relup', 'logs')).stdout.trim().split('\n').length).toBe(15);
    expect((await e('ctl', 'relup', 'logs-clear')).stdout).toBe('cleared all upgrade logs\n');
    expect((await e('ctl', 'relup', 'logs')).stdout).toBe('no upgrade history on this node\n');
    // a hop after the restart deploys nested into the booted tree (§1.9)
    await readFile(join(root, 'relup', 'current'), 'utf8');
    expect(await e('stop')).toEqual({ stdout: 'ok\n', stderr: '', code: 0 });
    expect(await e('stop')).toEqual({ stdout: '', stderr: `Node ${NODE} not responding to pings.\n`, code: 1 });
  });
});
