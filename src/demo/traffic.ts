// The demo's MQTT traffic: real mqtt.js clients on every simulated node, each publishing QoS 1 at a
// steady rate, a subscriber on another node receiving it (topology.ts), and the accounting that
// proves a hot upgrade keeps sessions (ledger.ts): connected now, disconnects, published (PUBACKed),
// received, lost.
import type { MqttClient } from 'mqtt';
import { openMqttClient } from '../mqtt/client.js';
import { encodeProbe } from '../mqtt/codec.js';
import type { TrafficCounts } from '../rollout/core/events.js';
import { RolloutError } from '../util/errors.js';
import { MessageLedger } from './ledger.js';
import { demoTopology, type DemoNode } from './topology.js';

/** 5 msg/s per client: 30 clients → 150 msg/s, visible counters, light on a 2-core machine. */
export const DEFAULT_RATE_PER_SEC = 5;
/** An acknowledged message not received within 2 s shows as lost in the live view (the run ends with a drain). */
export const LIVE_LOST_GRACE_MS = 2_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** A dropped client retries every second, as a real device would (and the count shows it). */
const RECONNECT_MS = 1_000;

export type TrafficSnapshot = TrafficCounts;

export interface TrafficOptions {
  readonly nodes: readonly DemoNode[];
  readonly clientsPerNode: number;
  readonly ratePerSec?: number;
  /** Prefix of client ids (unique per demo run). */
  readonly tag: string;
  readonly now: () => number;
}

export interface Traffic {
  snapshot(): TrafficSnapshot;
  /** Stops publishing, waits until every message is acknowledged and received (or `timeoutMs`), returns the final counts (lost = acknowledged, not received). */
  drain(timeoutMs: number): Promise<TrafficSnapshot>;
  close(): Promise<void>;
}

interface Conn {
  readonly client: MqttClient;
  readonly user: boolean;
  up: boolean;
}

export async function startTraffic(o: TrafficOptions): Promise<Traffic> {
  const rate = o.ratePerSec ?? DEFAULT_RATE_PER_SEC;
  const topo = demoTopology(o.nodes.length, o.clientsPerNode, o.tag);
  const ledger = new MessageLedger();
  const conns: Conn[] = [];
  const timers: NodeJS.Timeout[] = [];
  let disconnects = 0;
  let closing = false;

  const open = (clientId: string, node: DemoNode, user: boolean): Conn => {
    // the same client code as the MQTT gate's probe (src/mqtt/client.ts), here over plain TCP
    const client = openMqttClient(
      { kind: 'tcp', host: node.host, port: node.mqttPort },
      {
        clientId,
        reconnectPeriodMs: RECONNECT_MS,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      },
    );
    const c: Conn = { client, user, up: false };
    client.on('connect', () => (c.up = true));
    client.on('close', () => {
      if (c.up && !closing) disconnects++;
      c.up = false;
    });
    client.on('error', () => undefined); // connection errors surface as 'close' and count there
    conns.push(c);
    return c;
  };

  const connectedOnce = (c: Conn, what: string): Promise<void> =>
    new Promise((res, rej) => {
      if (c.up) return res();
      const t = setTimeout(
        () => rej(new RolloutError('internal', `demo: ${what} did not connect within ${CONNECT_TIMEOUT_MS / 1000} s`)),
        CONNECT_TIMEOUT_MS,
      );
      c.client.once('connect', () => {
        clearTimeout(t);
        res();
      });
    });

  const subscribed = (c: Conn, filter: string): Promise<void> =>
    c.client.subscribeAsync(filter, { qos: 1 }).then(() => undefined);

  try {
    const waits: Promise<void>[] = [];
    for (const l of topo.links) {
      const src = open(l.sourceId, o.nodes[l.from], false);
      const sink = open(l.sinkId, o.nodes[l.to], false);
      src.client.on('message', (topic, payload) => {
        // forward only while the sink is up; a message the link cannot carry stays unreceived (lost)
        if (sink.client.connected) sink.client.publish(topic, payload, { qos: 1 });
      });
      waits.push(connectedOnce(src, `${l.sourceId} on ${o.nodes[l.from].name}`).then(() => subscribed(src, l.filter)));
      waits.push(connectedOnce(sink, `${l.sinkId} on ${o.nodes[l.to].name}`));
    }
    const users: { c: Conn; topic: string; id: string }[] = [];
    for (const spec of topo.clients) {
      const node = o.nodes[spec.node];
      const c = open(spec.clientId, node, true);
      users.push({ c, topic: spec.publishTopic, id: spec.clientId });
      if (spec.subscribe) {
        c.client.on('message', (_t, payload) => ledger.received(payload.toString()));
        waits.push(connectedOnce(c, `${spec.clientId} on ${node.name}`).then(() => subscribed(c, spec.subscribe!)));
      } else {
        waits.push(connectedOnce(c, `${spec.clientId} on ${node.name}`));
      }
    }
    await Promise.all(waits);

    const period = Math.round(1000 / rate);
    users.forEach((u, k) => {
      let seq = 0;
      const tick = () => {
        if (!u.c.client.connected) return; // mqtt.js would queue it offline; a device would wait too
        const id = encodeProbe(u.id, ++seq); // the gate's probe payload too
        ledger.sent(id);
        u.c.client.publish(u.topic, id, { qos: 1 }, (err) => (err ? ledger.failed(id) : ledger.acked(id, o.now())));
      };
      // spread the clients over one period so 150 msg/s arrive as a stream, not in bursts of 30
      const start = setTimeout(
        () => {
          tick();
          timers.push(setInterval(tick, period));
        },
        Math.round((k * period) / users.length),
      );
      timers.push(start);
    });
  } catch (e) {
    closing = true;
    await Promise.all(conns.map((c) => c.client.endAsync(true).catch(() => undefined)));
    throw e;
  }

  const userConns = conns.filter((c) => c.user);
  const snapshot = (graceMs: number): TrafficSnapshot => ({
    clients: userConns.length,
    connected: userConns.filter((c) => c.client.connected).length,
    disconnects,
    ...ledger.counts(o.now(), graceMs),
  });
  const stopPublishing = () => {
    for (const t of timers) {
      clearTimeout(t);
      clearInterval(t);
    }
  };

  return {
    snapshot: () => snapshot(LIVE_LOST_GRACE_MS),
    async drain(timeoutMs) {
      stopPublishing();
      const until = o.now() + timeoutMs;
      while ((ledger.unacked() > 0 || ledger.awaited() > 0) && o.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      return snapshot(0);
    },
    async close() {
      stopPublishing();
      closing = true;
      // force: the nodes may already be gone; a graceful DISCONNECT would wait for them
      await Promise.all(conns.map((c) => c.client.endAsync(true).catch(() => undefined)));
    },
  };
}
