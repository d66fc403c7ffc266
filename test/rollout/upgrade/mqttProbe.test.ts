// The MQTT probe over real OpenSSH: sshd on 127.0.0.x forwards our channel to a real MQTT broker
// (aedes, as in the simulator) listening on that same address — "as the node sees it". The broker's
// hooks inject what the gate must catch: wrong credentials, a denied subscription, a probe dropped
// in delivery (lost, no disconnect), and clients dropped mid-run (disconnect).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeProbe } from '../../../src/mqtt/codec.js';
import { SshRemoteHost } from '../../../src/remote/host.js';
import { startProbe, type MqttProbe, type ProbeOptions } from '../../../src/rollout/upgrade/mqttProbe.js';
import { RolloutError } from '../../../src/util/errors.js';
import { haveSshd } from '../../support/sshd.js';
import { makeFixture, type Fixture } from '../../remote/fixture.js';

interface Broker {
  readonly port: number;
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

async function startBroker(host: string, opts: AedesOptions = {}): Promise<Broker> {
  const aedes = await Aedes.createBroker(opts);
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    aedes.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => aedes.close(() => r()));
      await new Promise((r) => server.close(r));
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!haveSshd())('MQTT probe through real OpenSSH', () => {
  let fx: Fixture;
  let host: SshRemoteHost;
  let sshdHost: string;
  let broker: Broker | undefined;
  let probe: MqttProbe | undefined;
  beforeAll(async () => {
    fx = await makeFixture();
    const s = await fx.start();
    fx.knownHosts();
    sshdHost = s.host;
    host = new SshRemoteHost(fx.spec(s));
  });
  afterEach(async () => {
    await probe?.close();
    await broker?.close();
    probe = undefined;
    broker = undefined;
  });
  afterAll(async () => {
    await host?.close();
    await fx?.cleanup();
  });

  const opts = (b: Broker, over: Partial<ProbeOptions> = {}): ProbeOptions => ({
    node: 'emqx@test',
    host,
    target: { host: sshdHost, port: b.port },
    topic: 'emqx-rollout/probe/emqx@test/run1',
    clientId: `probe-${process.pid}`,
    ratePerSec: 20,
    connectTimeoutMs: 5_000,
    drainMs: 2_000,
    now: () => Date.now(),
    ...over,
  });

  it('a clean run: interim and final checks pass; every probe back once, in order', async () => {
    broker = await startBroker(sshdHost);
    probe = await startProbe(opts(broker));
    await sleep(600);
    const mid = await probe.check(false);
    expect(mid.ok, mid.message).toBe(true);
    await sleep(400);
    const end = await probe.check(true);
    expect(end.ok, end.message).toBe(true);
    expect(end.probe!.sent).toBeGreaterThanOrEqual(10);
    expect(end.probe).toMatchObject({
      received: end.probe!.sent,
      lost: 0,
      disconnects: 0,
      duplicates: 0,
      outOfOrder: 0,
    });
    expect(end.message).toContain(`as seen from emqx@test, through SSH`);
  });

  it('credentials go to the broker; wrong ones fail the start with a hint', async () => {
    const seen: string[] = [];
    broker = await startBroker(sshdHost, {
      authenticate: (_c, user, pw, done) => {
        seen.push(`${user}:${pw?.toString()}`);
        done(null, user === 'probe' && pw?.toString() === 'right');
      },
    });
    probe = await startProbe(opts(broker, { username: 'probe', password: 'right' }));
    expect(seen).toEqual(['probe:right']);
    await probe.close();
    const err = await startProbe(opts(broker, { username: 'probe', password: 'wrong' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutError);
    expect((err as RolloutError).message).toMatch(/MQTT connection refused/);
    expect((err as RolloutError).hint).toMatch(/passwordEnv/);
  });

  it.each([
    [
      'SUBACK 0x80',
      (cb: (e: Error | null, s?: null) => void) => cb(null, null),
      /subscribing the probe to emqx-rollout\/probe\S+ failed|refused the probe's subscription/,
    ],
    [
      'no answer',
      (cb: (e: Error | null, s?: null) => void) => cb(new Error('denied')),
      /no SUBACK for emqx-rollout\/probe\S+ within 5 s|closed the probe connection when it subscribed/,
    ],
  ])('a denied subscription (%s) fails the start, with the ACL hint', async (_n, deny, message) => {
    broker = await startBroker(sshdHost, { authorizeSubscribe: (_c, _s, cb) => deny(cb) });
    const t0 = Date.now();
    const err = await startProbe(opts(broker)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutError);
    expect((err as RolloutError).message).toMatch(message);
    expect((err as RolloutError).hint).toMatch(/topicPrefix/);
    expect(Date.now() - t0).toBeLessThan(7_000); // bounded by connectTimeoutMs (5 s), never hangs
  });

  it('a probe the broker does not deliver is LOST (no disconnect): the final check fails naming it', async () => {
    broker = await startBroker(sshdHost, {
      authorizeForward: (_c, packet) => (decodeProbe(packet.payload)?.seq === 5 ? null : packet),
    });
    probe = await startProbe(opts(broker));
    await sleep(800);
    const end = await probe.check(true);
    expect(end.ok).toBe(false);
    expect(end.probe).toMatchObject({ lost: 1, disconnects: 0 });
    expect(end.message).toMatch(/^MQTT continuity: 1 of \d+ probes lost$/);
    expect(end.evidence).toContain('lost: 5');
  });

  it('clients dropped by the broker mid-run: disconnected, and the probes after it are not counted as sent', async () => {
    broker = await startBroker(sshdHost);
    probe = await startProbe(opts(broker));
    await sleep(400);
    for (const s of broker.sockets) s.destroy();
    await sleep(400);
    const mid = await probe.check(false);
    expect(mid.ok).toBe(false);
    expect(mid.probe!.disconnects).toBe(1);
    const sent = mid.probe!.sent;
    await sleep(300);
    const end = await probe.check(true);
    expect(end.ok).toBe(false);
    expect(end.probe!.sent).toBe(sent);
    expect(end.message).toMatch(/the probe client was disconnected/);
    expect(end.evidence?.[0]).toMatch(/^the probe connection closed at \+[\d.]+s after \d+ probes$/);
  });

  it('nothing listening: the start fails naming the address as the node sees it', async () => {
    const b = await startBroker(sshdHost);
    const port = b.port;
    await b.close();
    const err = await startProbe({ ...opts({ port } as Broker) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutError);
    expect((err as RolloutError).message).toContain(`forwarded channel to ${sshdHost}:${port}`);
  });
});
