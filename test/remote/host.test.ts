import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshRemoteHost, openHosts, openHostsSettled } from '../../src/remote/host.js';
import { RolloutError } from '../../src/util/errors.js';
import { haveSshd, type SshdInstance } from '../support/sshd.js';
import { makeFixture, type Fixture } from './fixture.js';

const logins = (s: SshdInstance) => (s.log().match(/Accepted publickey/g) ?? []).length;

describe.skipIf(!haveSshd())('SshRemoteHost / openHosts against real sshd', () => {
  let fx: Fixture;
  let servers: SshdInstance[];
  beforeAll(async () => {
    fx = await makeFixture();
    servers = await Promise.all([fx.start(), fx.start(), fx.start()]);
    fx.knownHosts();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('uses ONE connection for many execs and a stage (staging streams over an exec channel of the same connection)', async () => {
    const s = servers[0];
    const before = logins(s);
    const h = new SshRemoteHost(fx.spec(s));
    try {
      for (let i = 0; i < 5; i++) expect((await h.exec('echo hi')).stdout).toBe('hi\n');
      const data = randomBytes(256 * 1024);
      const local = join(fx.dir, 'one-conn.bin');
      writeFileSync(local, data);
      const r = await h.stage(
        local,
        join(fx.dir, 'staging', 'one-conn.bin'),
        createHash('sha256').update(data).digest('hex'),
      );
      expect(r.action).toBe('uploaded');
      expect((await h.exec('echo after')).stdout).toBe('after\n');
      expect(logins(s) - before).toBe(1);
      // every session (the commands, staging included) came from the same client port = one TCP connection
      const ports = new Set(
        [...s.log().matchAll(/Starting session: (?:command|subsystem 'sftp') for \S+ from [\d.]+ port (\d+)/g)].map(
          (m) => m[1],
        ),
      );
      expect(ports.size).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('reconnects once when the connection died between commands', async () => {
    const s = servers[1];
    const h = new SshRemoteHost(fx.spec(s));
    try {
      await h.exec('true');
      const c1 = await h.connection();
      await c1.close(); // as if the network dropped while idle
      expect(c1.closed).toBe(true);
      expect((await h.exec('echo again')).stdout).toBe('again\n');
      expect(await h.connection()).not.toBe(c1);
    } finally {
      await h.close();
    }
    await expect(h.exec('true')).rejects.toThrow(/after close/);
  });

  it('openHosts connects to every node in parallel and keeps inventory order', async () => {
    const specs = servers.map((s) => fx.spec(s));
    const t0 = Date.now();
    const hosts = await openHosts(specs, { concurrency: 8 });
    const took = Date.now() - t0;
    try {
      expect([...hosts.keys()]).toEqual(specs.map((s) => s.name));
      const outs = await Promise.all([...hosts.values()].map((h) => h.exec('echo "$SSH_CONNECTION"')));
      expect(outs.map((o) => o.stdout.split(' ')[2])).toEqual(servers.map((s) => s.host));
      expect(took).toBeLessThan(5_000);
    } finally {
      await Promise.all([...hosts.values()].map((h) => h.close()));
    }
  });

  it('reports every unreachable node (settled) or throws naming them (openHosts)', async () => {
    const good = fx.spec(servers[0]);
    const refused = { ...fx.spec(servers[1]), name: 'emqx@refused', port: 1 };
    const unknownKey = { ...fx.spec(servers[2]), name: 'emqx@unknown-key', knownHosts: fx.knownHosts([], 'empty') };
    const { hosts, failures } = await openHostsSettled([good, refused, unknownKey]);
    try {
      expect([...hosts.keys()]).toEqual([good.name]);
      expect(failures.get('emqx@refused')!.message).toContain('connection refused');
      expect(failures.get('emqx@unknown-key')!.message).toContain('is not in');
    } finally {
      await Promise.all([...hosts.values()].map((h) => h.close()));
    }
    const e = await openHosts([good, refused, unknownKey]).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(RolloutError);
    expect((e as RolloutError).message).toMatch(/^2 of 3 nodes unreachable; first: emqx@refused: connection refused/);
    expect((e as RolloutError).details).toHaveLength(2);
  });
});
