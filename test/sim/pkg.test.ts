// A package-layout (deb-like) simulated cluster reached through real OpenSSH (`ssh` client → the
// in-process SSH servers) as the simulated non-root login user: the layout and its read-only
// discovery (facts A3), check_user, the sudo shim, the real rebalance CLI with its persisted
// evacuation (A1), the non-map relup failures (A2), the boot windows (A5), uptime (A6), the memory
// fault and the disk places of A4.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster, type SimClusterNode } from '../../src/sim/cluster.js';
import { clearFaults, setFaults } from '../../src/sim/faults.js';
import { ensureBuilt, ssh } from './helpers.js';

let dir: string;
let c: SimCluster;
const on = (n: SimClusterNode, cmd: string) =>
  ssh({ key: c.keyPath, knownHosts: c.knownHostsPath, port: n.sshPort, user: c.user, host: n.host }, cmd);
const bin = (n: SimClusterNode) => `${n.rootDir}/bin/emqx`;
/** Through the sudo shim as the service user (what `become: sudo` + becomeUser emqx does). */
const svc = (n: SimClusterNode, args: string) => on(n, `sudo -n -u emqx ${bin(n)} ${args}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHECK_USER = 'You need to be root or use sudo to run this command\n';

/** CONNACK return code of a fresh MQTT 3.1.1 CONNECT (0 = accepted). */
function connack(n: SimClusterNode, id: string): Promise<number> {
  return new Promise((res, rej) => {
    const cl = mqtt.connect({
      host: n.host,
      port: n.mqttPort,
      clientId: id,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      protocolVersion: 4,
    });
    cl.once('connect', () => {
      cl.end(true);
      res(0);
    });
    cl.once('error', (e: Error & { code?: number }) => {
      cl.end(true);
      if (typeof e.code === 'number') res(e.code);
      else rej(e);
    });
  });
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sim-pkg-'));
  c = await startSimCluster({ dir, nodes: 2, layout: 'pkg', sshUser: 'operator' });
});

afterAll(async () => {
  await c?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('package layout', () => {
  it('separate etc/data/log dirs; emqx_vars and BUILD_INFO carry the pkg values; inventory says become: sudo', async () => {
    const n = c.nodes[0];
    const nodeDir = join(dir, 'nodes', '1');
    expect(n).toMatchObject({
      layout: 'pkg',
      rootDir: join(nodeDir, 'usr/lib/emqx'),
      etcDir: join(nodeDir, 'etc/emqx'),
      dataDir: join(nodeDir, 'var/lib/emqx'),
      logDir: join(nodeDir, 'var/log/emqx'),
    });
    const root = readdirSync(n.rootDir).sort();
    expect(root).toEqual(['.sim', 'bin', 'erts-15.2.7.2', 'lib', 'plugins', 'releases', 'relup']);
    expect(readdirSync(join(n.rootDir, 'relup'))).toEqual(['.keep']);
    expect(existsSync(join(n.etcDir, 'emqx.conf'))).toBe(true);
    expect(readFileSync(join(n.etcDir, 'emqx.conf'), 'utf8')).toContain(`data_dir = "${n.dataDir}"`);
    expect(readdirSync(n.dataDir).sort()).toEqual(expect.arrayContaining(['configs', 'mnesia', 'patches', 'plugins']));
    const vars = readFileSync(join(n.rootDir, 'releases/emqx_vars'), 'utf8');
    expect(vars).toContain(`\nRUNNER_BIN_DIR="${join(nodeDir, 'usr/bin')}"\nRUNNER_LIB_DIR="$RUNNER_ROOT_DIR/lib"\n`);
    expect(vars).toContain(
      `\nexport EMQX_LOG_DIR="\${EMQX_LOG_DIR:-\${RUNNER_LOG_DIR:-${n.logDir}}}"\nEMQX_ETC_DIR="${n.etcDir}"\nRUNNER_USER="emqx"\n`,
    );
    expect(readFileSync(join(n.rootDir, 'releases/5.10.4/BUILD_INFO'), 'utf8')).toMatch(/\nrelform: "deb"\n$/);
    const inv = parse(await readFile(c.inventoryPath, 'utf8'));
    expect(inv.defaults).toMatchObject({ user: 'operator', become: 'sudo' });
    expect(existsSync(join(n.logDir, 'emqx.log'))).toBe(true);
  });

  it('the data dir is discoverable read-only: ps -efww / /proc/<pid>/cmdline end in -emqx_data_dir; root_dir via the /usr/bin link', async () => {
    const n = c.nodes[0];
    const pid = (await svc(n, 'pid')).stdout.trim();
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
    expect(cmdline.slice(-2)).toEqual(['-emqx_data_dir', n.dataDir]);
    expect(cmdline).toContain('-root');
    expect(cmdline[cmdline.indexOf('-root') + 1]).toBe(n.rootDir);
    const ps = await on(n, `ps -efww | grep '[e]mqx_data_dir ${n.dataDir}$'`);
    expect(ps.stdout).toContain(`-root ${n.rootDir} `);
    expect(await svc(n, `eval 'emqx:data_dir().'`)).toEqual({ stdout: `"${n.dataDir}"\n`, stderr: '', code: 0 });
    expect((await svc(n, `eval 'os:getenv("EMQX_ETC_DIR").'`)).stdout).toBe(`"${n.etcDir}"\n`);
    // as root, check_user re-runs the command through `su - emqx -c '… "arg"'`: inner `"` are re-expanded
    // by that shell (facts A3), so the expression arrives as os:getenv(EMQX_ETC_DIR). and fails
    const viaSu = await on(n, `sudo -n ${bin(n)} eval 'os:getenv("EMQX_ETC_DIR").'`);
    expect(viaSu).toMatchObject({ stdout: '', code: 1 });
    expect(viaSu.stderr).toContain('os:getenv(EMQX_ETC_DIR).');
    expect((await svc(n, `eval 'os:getenv("EMQX_LOG_DIR").'`)).stdout).toBe(`"${n.logDir}"\n`);
    expect((await svc(n, `eval 'code:root_dir().'`)).stdout).toBe(`"${n.rootDir}"\n`);
    // root_dir answers before check_user and resolves the /usr/bin symlink
    expect(await on(n, `${join(dir, 'nodes/1/usr/bin/emqx')} root_dir`)).toEqual({
      stdout: `${n.rootDir}\n`,
      stderr: '',
      code: 0,
    });
  });
});

describe('check_user and the sudo shim', () => {
  it('the login user is refused on stdout with exit 1; sudo -u emqx and sudo (root → su -) pass', async () => {
    const n = c.nodes[0];
    expect(await on(n, `${bin(n)} ctl status`)).toEqual({ stdout: CHECK_USER, stderr: '', code: 1 });
    expect(await on(n, `${bin(n)} stop`)).toEqual({ stdout: CHECK_USER, stderr: '', code: 1 });
    const status = `Node '${n.name}' 5.10.4 is started\n`;
    expect(await svc(n, 'ctl status')).toEqual({ stdout: status, stderr: '', code: 0 });
    expect(await on(n, `sudo -n ${bin(n)} ctl status`)).toEqual({ stdout: status, stderr: '', code: 0 });
    expect((await on(n, 'whoami; id -un; sudo -n -u emqx whoami; sudo -n id -u')).stdout).toBe(
      'operator\noperator\nemqx\n0\n',
    );
  });

  it('password policy: -n → `sudo: a password is required`; -S reads it; wrong thrice; deny', async () => {
    const n = c.nodes[1];
    await setFaults(n.rootDir, { sudoPolicy: 'password', sudoPassword: 's3cret' });
    try {
      expect(await on(n, `sudo -n -u emqx ${bin(n)} ctl status`)).toEqual({
        stdout: '',
        stderr: 'sudo: a password is required\n',
        code: 1,
      });
      const ok = await on(n, `echo s3cret | sudo -S -u emqx ${bin(n)} ctl status`);
      expect(ok).toEqual({
        stdout: `Node '${n.name}' 5.10.4 is started\n`,
        stderr: '[sudo] password for operator: ',
        code: 0,
      });
      const bad = await on(n, `printf 'a\\nb\\nc\\n' | sudo -S -u emqx ${bin(n)} ctl status`);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe(
        '[sudo] password for operator: Sorry, try again.\n[sudo] password for operator: Sorry, try again.\n' +
          '[sudo] password for operator: sudo: 3 incorrect password attempts\n',
      );
      expect((await on(n, `sudo -u emqx ${bin(n)} ctl status < /dev/null`)).stderr).toMatch(
        /a terminal is required.*\nsudo: a password is required\n$/,
      );
      await setFaults(n.rootDir, { sudoPolicy: 'deny' });
      const deny = await on(n, `sudo -n -u emqx ${bin(n)} ctl status`);
      expect(deny.code).toBe(1);
      expect(deny.stderr).toMatch(
        new RegExp(`^Sorry, user operator is not allowed to execute '${bin(n)} ctl status' as emqx on .+\\.\\n$`),
      );
    } finally {
      await clearFaults(n.rootDir);
    }
    expect((await svc(n, 'ctl status')).code).toBe(0);
  });

  it('stale hot patches live in <dataDir>/patches, where the relup handler looks', async () => {
    const n = c.nodes[1];
    await setFaults(n.rootDir, { stalePatches: true });
    try {
      expect(existsSync(join(n.dataDir, 'patches/emqx_foo.beam'))).toBe(true);
      const r = await svc(n, `ctl relup upgrade ${c.tarballPath}`);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          `^upgrade failed, reason: #\\{dir =>\\s+<<"${n.dataDir}/patches">>,\\n {26}err_type => patches_dir_not_empty,`,
        ),
      );
    } finally {
      await clearFaults(n.rootDir);
    }
    expect(existsSync(join(n.dataDir, 'patches/emqx_foo.beam'))).toBe(false);
  });
});

describe('evacuation (emqx ctl rebalance)', () => {
  it('start/stop exit 1 with the real texts; the file persists; clients refused with CONNACK 3; survives stop/start', async () => {
    const n = c.nodes[0];
    await setFaults(n.rootDir, { evacuationTimeScale: 0.05 }); // 60 s waits → 3 s
    try {
      expect(await svc(n, 'ctl rebalance node-status')).toEqual({
        stdout: 'Rebalance disabled\n',
        stderr: '',
        code: 0,
      });
      expect(await svc(n, 'ctl rebalance stop')).toEqual({
        stdout: 'Rebalance is already disabled\n',
        stderr: '',
        code: 1,
      });
      expect(await svc(n, 'ctl rebalance start --evacuation --wait-health-check 1 --wait-takeover 1')).toEqual({
        stdout: 'Rebalance(evacuation) started\n',
        stderr: '',
        code: 1,
      });
      expect(await svc(n, 'ctl rebalance start --evacuation')).toEqual({
        stdout: 'Rebalance is already enabled\n',
        stderr: '',
        code: 1,
      });
      expect(readFileSync(join(n.dataDir, '.evacuation'), 'utf8')).toBe(
        '{\n  "wait_takeover" : 1,\n  "sess_evict_rate" : 500,\n  "server_reference" : null,\n  "conn_evict_rate" : 500\n}',
      );
      expect((await svc(n, 'ctl eviction status')).stdout).toBe('Eviction status: enabled\n');
      await sleep(400);
      const st = await svc(n, 'ctl rebalance node-status');
      expect(st.code).toBe(0);
      expect(st.stdout).toMatch(
        new RegExp(
          '^Rebalance type: evacuation\\nRebalance state: (evicting_conns|waiting_takeover|evicting_sessions|prohibiting)\\n' +
            'Connection eviction rate: 500 connections/second\\nSession eviction rate: 500 sessions/second\\n' +
            `Connection goal: 0\\nSession goal: 0\\nSession recipient nodes: \\['${c.nodes[1].name}'\\]\\n` +
            'Channel statistics:\\n  current_connected: 0\\n  current_sessions: 0\\n  initial_connected: 0\\n  initial_sessions: 0\\n\\n$',
        ),
      );
      expect(await connack(n, 'refused-1')).toBe(3);
      // stop/start: restored from <data_dir>/.evacuation, straight to evicting_conns, still refusing
      expect((await svc(n, 'stop')).stdout).toBe('ok\n');
      expect((await svc(n, 'start')).code).toBe(0);
      expect((await svc(n, 'ctl rebalance node-status')).stdout).toMatch(
        /^Rebalance type: evacuation\nRebalance state: (?!waiting_health_check)/,
      );
      expect(await connack(n, 'refused-2')).toBe(3);
      expect(readFileSync(join(n.logDir, 'emqx.log'), 'utf8')).toContain(
        'Node evacuation is enabled. The node will not receive connections.\n',
      );
      expect(await svc(n, 'ctl rebalance stop')).toEqual({
        stdout: 'Rebalance(evacuation) stopped\n',
        stderr: '',
        code: 1,
      });
      expect(existsSync(join(n.dataDir, '.evacuation'))).toBe(false);
      expect((await svc(n, 'ctl eviction status')).stdout).toBe('Eviction status: disabled\n');
      expect(await connack(n, 'welcome')).toBe(0);
    } finally {
      await svc(n, 'ctl rebalance stop');
      await clearFaults(n.rootDir);
    }
  });

  it('node-status of a peer, an unknown node, usage and a bad flag', async () => {
    const [a, b] = c.nodes;
    expect(await svc(a, `ctl rebalance node-status ${b.name}`)).toEqual({
      stdout: 'Rebalance disabled\n',
      stderr: '',
      code: 0,
    });
    expect(await svc(a, 'ctl rebalance node-status nobody@nowhere')).toEqual({
      stdout: 'Node status error: invalid node\n',
      stderr: '',
      code: 1,
    });
    const usage = await svc(a, 'ctl rebalance');
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(
      /^rebalance start --evacuation \\ {12}# Start current node evacuation with optional\n/,
    );
    expect(await svc(a, 'ctl rebalance start --evacuation --conn-evict-rate 0')).toEqual({
      stdout: 'Rebalance start error: invalid --conn-evict-rate value\n',
      stderr: '',
      code: 1,
    });
  });
});
