// Fast start, seen from outside: the built CLI's first NDJSON event does not wait for SSH (the nodes
// here are TCP servers that accept and never answer, so no handshake can finish), and a `--json`
// run never loads the live view (Ink, React), mqtt.js, aedes or the simulator. Which modules load is
// read with a module.register() load hook, the public way to watch the ESM loader.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReleaseTarball } from '../../src/sim/tarball.js';
import { REPO, ensureBuilt } from '../support/build.js';
import { makeClientKey } from '../support/sshd.js';

const CLI = join(REPO, 'dist', 'cli', 'main.js');

/** Modules a `--json` run must not load: they are for the terminal view, the MQTT gate, the simulator. */
const NEVER = [/\/node_modules\/ink\//, /\/node_modules\/react\//, /\/node_modules\/mqtt\//, /\/node_modules\/aedes\//];
const NEVER_OURS = [/\/dist\/ui\/ink\//, /\/dist\/sim\//, /\/dist\/mqtt\/client\.js$/, /\/dist\/demo\//];

interface Run {
  readonly first: { type: string; command?: string; nodes?: string[] };
  /** ms from spawn to the first stdout line. */
  readonly firstMs: number;
  readonly code: number | null;
  readonly modules: string[];
}

describe('start-up of the built CLI', () => {
  let dir: string;
  let inventory: string;
  let tarball: string;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-startup-'));
    const key = await makeClientKey(dir, { name: 'id_ed25519' });
    writeFileSync(join(dir, 'known_hosts'), '');
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = createServer((sock) => {
        sockets.add(sock);
        sock.on('error', () => undefined);
        sock.on('close', () => sockets.delete(sock));
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      ports.push((s.address() as { port: number }).port);
    }
    inventory = join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      [
        'cluster: startup',
        'defaults:',
        `  identityFile: ${JSON.stringify(key.privatePath)}`,
        `  knownHosts: ${JSON.stringify(join(dir, 'known_hosts'))}`,
        '  user: root',
        '  sshConfig: none',
        '  rootDir: /opt/emqx',
        'nodes:',
        ...ports.map((p, i) => `  - { name: "emqx@n${i + 1}", host: 127.0.0.1, port: ${p} }`),
        '',
      ].join('\n'),
    );
    tarball = (await buildReleaseTarball({ version: '5.10.5', outDir: join(dir, 'release') })).tarballPath;
    // The load hook (a file of its own: module.register runs it on the loader's thread).
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.EMQX_ROLLOUT_TEST_MODULE_LOG, url + '\\n');
  return next(url, context);
}
`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(new URL('./hooks.mjs', import.meta.url));\n`,
    );
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Spawn the CLI, wait for its first stdout line, then SIGTERM it (the nodes would never answer). */
  function run(name: string, args: readonly string[]): Promise<Run> {
    const log = join(dir, `${name}.modules`);
    writeFileSync(log, '');
    const env: NodeJS.ProcessEnv = { ...process.env, EMQX_ROLLOUT_TEST_MODULE_LOG: log, NO_COLOR: '1' };
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', join(dir, 'register.mjs'), CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let first: Run['first'] | null = null;
    let firstMs = 0;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (first === null && nl >= 0) {
        firstMs = performance.now() - t0;
        first = JSON.parse(out.slice(0, nl)) as Run['first'];
        child.kill('SIGTERM');
      }
    });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => {
        if (first === null) return reject(new Error(`no stdout line (exit ${code}); stderr:\n${err}`));
        const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
        resolve({ first, firstMs, code, modules });
      });
    });
  }

  for (const [name, args] of [
    ['plan', (inv: string) => ['plan', '-i', inv, '--json', '--state-dir', join(dir, 'state-plan')]],
    [
      'upgrade',
      (inv: string, tb: string) => [
        'upgrade',
        '-i',
        inv,
        '--tarball',
        tb,
        '--yes',
        '--json',
        '--state-dir',
        join(dir, 'state-up'),
      ],
    ],
  ] as const) {
    it(`${name} --json: rollout.started before any SSH handshake finished; no Ink, React, mqtt.js or simulator`, async () => {
      const r = await run(name, args(inventory, tarball));
      expect(r.first).toMatchObject({
        type: 'rollout.started',
        command: name,
        nodes: ['emqx@n1', 'emqx@n2', 'emqx@n3'],
      });
      expect(r.code).toBe(130); // SIGTERM while connecting: interrupted, promptly
      // The hook saw the run (so an empty list cannot pass): the command module and the SSH client.
      expect(r.modules.some((m) => m.endsWith(`/dist/cli/commands/${name}.js`))).toBe(true);
      expect(r.modules.some((m) => m.includes('/node_modules/ssh2/'))).toBe(true);
      const heavy = r.modules.filter((m) => [...NEVER, ...NEVER_OURS].some((re) => re.test(m)));
      expect(heavy).toEqual([]);
      // No node ever answers: had the CLI connected before its first event, that event would have
      // come only after the 20 s handshake timeout. Generous for a loaded 2-core machine.
      expect(r.firstMs).toBeLessThan(5_000);
    }, 60_000);
  }
});
