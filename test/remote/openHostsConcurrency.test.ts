// How many SSH handshakes openHostsSettled runs at once: every node at once when each is its own sshd
// (a 30-node cluster connects in one round), at most `concurrency` through any one sshd (MaxStartups
// of a shared bastion). Real ssh2 clients against silent TCP servers on 127.0.0.1 that accept and
// never answer, so each handshake stays open until its readyTimeout and the servers can count them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstHopKey, openHostsSettled } from '../../src/remote/host.js';
import type { SshTarget } from '../../src/remote/types.js';
import { makeClientKey } from '../support/sshd.js';

interface Silent {
  readonly port: number;
  /** performance.now() of every accepted connection. */
  readonly accepted: number[];
  readonly server: Server;
  readonly sockets: Set<Socket>;
}

async function silentServer(): Promise<Silent> {
  const accepted: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    accepted.push(performance.now());
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, accepted, server, sockets };
}

/** Connections accepted within `windowMs` of the first: the size of the first round of handshakes. */
const firstRound = (times: readonly number[], windowMs: number): number => {
  const t0 = Math.min(...times);
  return times.filter((t) => t - t0 < windowMs).length;
};

const READY_MS = 2_000;
const WINDOW_MS = 1_500;

describe('openHostsSettled: handshakes in parallel, bounded per first hop', () => {
  let dir: string;
  let keyPath: string;
  const servers: Silent[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-openhosts-'));
    keyPath = (await makeClientKey(dir, { name: 'id_ed25519' })).privatePath;
    writeFileSync(join(dir, 'known_hosts'), '');
    for (let i = 0; i < 10; i++) servers.push(await silentServer());
  });
  afterAll(async () => {
    for (const s of servers) s.sockets.forEach((x) => x.destroy());
    await Promise.all(servers.map((s) => new Promise((r) => s.server.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  const spec = (i: number, port: number, over: Partial<SshTarget> = {}): SshTarget => ({
    name: `emqx@n${i}`,
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    identityFile: keyPath,
    knownHosts: join(dir, 'known_hosts'),
    jump: [],
    ...over,
  });

  it('nodes behind different sshds all handshake at once, past the per-sshd bound', async () => {
    const specs = servers.map((s, i) => spec(i, s.port));
    const { hosts, failures } = await openHostsSettled(specs, { concurrency: 3, readyTimeoutMs: READY_MS });
    expect(hosts.size).toBe(0);
    expect(failures.size).toBe(10);
    expect(failures.get('emqx@n0')!.message).toMatch(/timed out/);
    expect(
      firstRound(
        servers.flatMap((s) => s.accepted),
        WINDOW_MS,
      ),
    ).toBe(10);
  });

  it('through one sshd (the node itself, or a shared jump host) at most `concurrency` at once', async () => {
    const one = servers[0];
    one.accepted.length = 0;
    const direct = Array.from({ length: 6 }, (_, i) => spec(i, one.port));
    await openHostsSettled(direct, { concurrency: 3, readyTimeoutMs: READY_MS });
    expect(one.accepted).toHaveLength(6);
    expect(firstRound(one.accepted, WINDOW_MS)).toBe(3);

    one.accepted.length = 0;
    const bastion = { user: undefined, host: '127.0.0.1', port: one.port };
    const viaJump = servers.slice(1, 7).map((s, i) => spec(i, s.port, { jump: [bastion] }));
    const { failures } = await openHostsSettled(viaJump, { concurrency: 3, readyTimeoutMs: READY_MS });
    expect(failures.size).toBe(6);
    expect(one.accepted).toHaveLength(6);
    expect(firstRound(one.accepted, WINDOW_MS)).toBe(3);
  });

  it('firstHopKey: the first jump host, else a ProxyCommand, else the node', () => {
    const base = spec(0, 22);
    expect(firstHopKey(base)).toBe('ssh:127.0.0.1:22');
    expect(firstHopKey({ ...base, proxyCommand: 'nc %h %p' })).toBe('proxy:nc %h %p');
    expect(
      firstHopKey({
        ...base,
        proxyCommand: 'ignored',
        jump: [
          { user: undefined, host: 'bastion', port: 2222 },
          { user: undefined, host: 'inner', port: 22 },
        ],
      }),
    ).toBe('ssh:bastion:2222');
    expect(
      firstHopKey({ ...base, jump: [{ user: undefined, host: 'b', port: 22, proxyCommand: 'cloudflared' }] }),
    ).toBe('proxy:cloudflared');
  });
});
