// RemoteHost.openTcp: a direct-tcpip channel over the node's own SSH connection, against both SSH
// servers the project meets — real OpenSSH sshd and the simulator's in-process ssh2 server.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSpec } from '../../src/inventory/types.js';
import { SshRemoteHost } from '../../src/remote/host.js';
import { startSshServer, type SimSshServer } from '../../src/sim/sshServer.js';
import { RolloutError } from '../../src/util/errors.js';
import { haveSshd, knownHostsLine } from '../support/sshd.js';
import { makeFixture, type Fixture } from './fixture.js';

/** A line-echo server: answers every chunk with `echo:<chunk>`; remembers its peers' addresses. */
async function echoServer(
  host: string,
): Promise<{ server: Server; port: number; peers: string[]; sockets: Set<Socket> }> {
  const peers: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    peers.push(s.remoteAddress ?? '?');
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(`echo:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port, peers, sockets };
}

function roundTrip(ch: Duplex, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ch.once('data', (d: Buffer) => resolve(d.toString()));
    ch.once('error', reject);
    ch.write(text);
  });
}

const closed = (ch: Duplex): Promise<void> => new Promise((r) => (ch.destroyed ? r() : ch.once('close', () => r())));

async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

function contract(
  name: string,
  setup: () => Promise<{
    host: () => SshRemoteHost;
    echo: () => Awaited<ReturnType<typeof echoServer>>;
    echoHost: string;
  }>,
) {
  describe(name, () => {
    let env: Awaited<ReturnType<typeof setup>>;
    beforeAll(async () => {
      env = await setup();
    });

    it('carries bytes both ways to host:port as the node sees it', async () => {
      const ch = await env.host().openTcp(env.echoHost, env.echo().port);
      try {
        expect(await roundTrip(ch, 'hello')).toBe('echo:hello');
        expect(await roundTrip(ch, 'again')).toBe('echo:again');
      } finally {
        ch.destroy();
      }
    });

    it('several channels share the one SSH connection, and ending one closes the far socket', async () => {
      const e = env.echo();
      const [a, b] = await Promise.all([
        env.host().openTcp(env.echoHost, e.port),
        env.host().openTcp(env.echoHost, e.port),
      ]);
      expect(await roundTrip(a, 'a')).toBe('echo:a');
      expect(await roundTrip(b, 'b')).toBe('echo:b');
      const before = e.sockets.size;
      a.end();
      await closed(a);
      const until = Date.now() + 3000;
      while (e.sockets.size >= before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(e.sockets.size).toBe(before - 1);
      expect(await roundTrip(b, 'still')).toBe('echo:still');
      b.destroy();
    });

    it('rejects with a RolloutError when nothing listens there', async () => {
      const port = await freePort(env.echoHost);
      const err = await env
        .host()
        .openTcp(env.echoHost, port)
        .then(
          () => undefined,
          (x: unknown) => x,
        );
      expect(err).toBeInstanceOf(RolloutError);
      expect((err as RolloutError).message).toContain(`forwarded channel to ${env.echoHost}:${port}`);
    });
  });
}

describe("openTcp over the simulator's ssh2 server", () => {
  let fx: Fixture;
  let srv: SimSshServer;
  let host: SshRemoteHost;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  beforeAll(async () => {
    fx = await makeFixture();
    const hk = join(fx.dir, 'sim_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hk]);
    srv = await startSshServer({
      host: '127.0.0.1',
      hostKey: readFileSync(hk, 'utf8'),
      authorizedKeys: [fx.key.publicKey],
      cwd: fx.dir,
    });
    fx.knownHosts([knownHostsLine(srv.host, srv.port, srv.hostPublicKey)]);
    echo = await echoServer('127.0.0.1');
    const spec: NodeSpec = {
      name: 'emqx@sim1',
      host: srv.host,
      port: srv.port,
      user: fx.user,
      identityFile: fx.key.privatePath,
      knownHosts: join(fx.dir, 'known_hosts'),
      jump: [],
      rootDir: '/opt/emqx',
      stagingDir: join(fx.dir, 's'),
      backupDir: join(fx.dir, 'b'),
    };
    host = new SshRemoteHost(spec);
    await host.connect();
  });
  afterAll(async () => {
    await host?.close();
    await srv?.close();
    await new Promise((r) => echo?.server.close(r));
    await fx?.cleanup();
  });

  contract('contract', async () => ({ host: () => host, echo: () => echo, echoHost: '127.0.0.1' }));

  it('the simulator forwards to loopback only', async () => {
    const err = await host.openTcp('192.0.2.1', 1883).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(RolloutError);
    expect((err as RolloutError).details).toContain('reason 2: connect failed'); // ssh2's only refusal
    expect(srv.connectionCount()).toBe(1); // the refusal did not cost the connection
  });

  it('a dropped SSH connection closes the forwarded channel (the client sees it)', async () => {
    const h2 = new SshRemoteHost({ ...(host as unknown as { spec: NodeSpec }).spec });
    const ch = await h2.openTcp('127.0.0.1', echo.port);
    expect(await roundTrip(ch, 'x')).toBe('echo:x');
    const c = await h2.connection();
    c.client.destroy();
    await closed(ch);
    await h2.close();
  });
});

describe.skipIf(!haveSshd())('openTcp over real OpenSSH sshd', () => {
  let fx: Fixture;
  let host: SshRemoteHost;
  let denied: SshRemoteHost;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  beforeAll(async () => {
    fx = await makeFixture();
    const s = await fx.start();
    const noFwd = await fx.start({ extraConfig: ['AllowTcpForwarding no'] });
    fx.knownHosts();
    // The echo server listens on the sshd's own loopback address: "as the node sees it".
    echo = await echoServer(s.host);
    host = new SshRemoteHost(fx.spec(s));
    denied = new SshRemoteHost(fx.spec(noFwd));
  });
  afterAll(async () => {
    await host?.close();
    await denied?.close();
    await new Promise((r) => echo?.server.close(r));
    await fx?.cleanup();
  });

  contract('contract', async () => ({ host: () => host, echo: () => echo, echoHost: fx.servers[0].host }));

  it('AllowTcpForwarding no: reason 1 and a hint that names the setting', async () => {
    const err = await denied.openTcp(fx.servers[0].host, echo.port).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(RolloutError);
    expect((err as RolloutError).details).toContain('reason 1: administratively prohibited');
    expect((err as RolloutError).hint).toMatch(/AllowTcpForwarding yes/);
    expect((await denied.exec('echo ok')).stdout).toBe('ok\n'); // the connection itself is fine
  });
});
