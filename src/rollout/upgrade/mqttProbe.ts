// The MQTT continuity gate (gates.mqtt), the I/O half: before a node's hop, a real MQTT client
// connects to the node's own listener through a forwarded channel of OUR SSH connection (so no port
// but SSH has to be open to the bastion), subscribes to `<topicPrefix>/<node>/<runId>` and publishes
// QoS 1 probes to it at a bounded rate until the node's gates after the hop (and the soak) are done.
// mqttJudge.ts decides; the engine calls startMqttGate() before the hop and check() in each round
// of gates after it (the last one drains and closes).
import type { Duplex } from 'node:stream';
import type { MqttClient } from 'mqtt';
import type { MqttGateSpec, NodeSpec } from '../../inventory/types.js';
import { decodeProbe, encodeProbe } from '../../mqtt/codec.js';
import type { RemoteHost } from '../../remote/types.js';
import { RolloutError, errorMessage } from '../../util/errors.js';
import { hostOf, type RunContext } from '../core/context.js';
import type { GateResult } from './gates.js';
import { judgeProbe, type ProbeLog } from './mqttJudge.js';

/** 5 probes/s: ~1,650 over a 300 s deadline plus a 30 s soak — light on any broker. */
export const PROBE_RATE_PER_SEC = 5;
const CONNECT_TIMEOUT_MS = 10_000;
/** After the last gates: how long in-flight probes may take to come back. */
const DRAIN_MS = 5_000;
/** In an interim check, a probe younger than this is in flight, not lost. */
const GRACE_MS = 3_000;
const MAX_NOTES = 5;

export interface MqttProbe {
  /** Judge what was recorded so far; `final` stops publishing, drains, closes the client first. */
  check(final: boolean): Promise<GateResult>;
  /** Stop and disconnect (idempotent); after a halt the engine calls it for every open probe. */
  close(): Promise<void>;
}

export interface ProbeOptions {
  readonly node: string;
  readonly host: Pick<RemoteHost, 'openTcp'>;
  readonly target: { readonly host: string; readonly port: number };
  readonly topic: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly ratePerSec?: number;
  readonly connectTimeoutMs?: number;
  readonly drainMs?: number;
  readonly graceMs?: number;
  readonly now: () => number;
  readonly signal?: AbortSignal;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (t = setTimeout(() => r('timeout'), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

async function until(cond: () => boolean, ms: number, now: () => number): Promise<boolean> {
  const end = now() + ms;
  while (!cond()) {
    if (now() >= end) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Connect, subscribe, and prove one probe makes the round trip before the hop: a listener that is
 * unreachable, refuses the credentials or denies the topic fails here, before anything changed.
 */
export async function startProbe(o: ProbeOptions): Promise<MqttProbe> {
  // mqtt.js is loaded only when an MQTT gate runs: a run without one never pays its start-up cost.
  const { openMqttClient, waitConnected } = await import('../../mqtt/client.js');
  const connectMs = o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const where = `${o.target.host}:${o.target.port} as seen from ${o.node}, through SSH; topic ${o.topic}`;
  const stream: Duplex = await o.host.openTcp(o.target.host, o.target.port, {
    timeoutMs: connectMs,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  stream.on('error', () => undefined); // surfaces as the client's 'close'
  const client: MqttClient = openMqttClient(
    { kind: 'stream', stream, describe: where },
    {
      clientId: o.clientId,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      reconnectPeriodMs: 0, // a dropped connection must stay dropped: that is what the gate detects
      connectTimeoutMs: connectMs,
    },
  );
  const t0 = o.now();
  const sentAt: number[] = [];
  const received: number[] = [];
  const notes: string[] = [];
  let acked = 0;
  let disconnects = 0;
  let up = false;
  let ending = false;
  let timer: NodeJS.Timeout | undefined;
  const note = (s: string): void => {
    if (notes.length < MAX_NOTES) notes.push(s);
  };
  const at = (): string => `+${((o.now() - t0) / 1000).toFixed(1)}s`;

  client.on('connect', () => (up = true));
  client.on('close', () => {
    if (up && !ending) {
      disconnects++;
      note(`the probe connection closed at ${at()} after ${sentAt.length} probes`);
    }
    up = false;
  });
  client.on('error', (e) => {
    if (!ending) note(`MQTT error at ${at()}: ${e.message}`);
  });
  client.on('message', (topic, payload) => {
    if (topic !== o.topic) return;
    const p = decodeProbe(payload);
    if (p && p.source === o.clientId) received.push(p.seq);
  });

  const close = async (): Promise<void> => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (ending) return;
    ending = true;
    await client.endAsync(true).catch(() => undefined);
    stream.destroy();
  };
  const publish = (): void => {
    if (!client.connected || ending) return; // never queued offline: an unsent probe is not "sent"
    const seq = sentAt.length + 1;
    sentAt.push(o.now());
    client.publish(o.topic, encodeProbe(o.clientId, seq), { qos: 1 }, (err) => {
      if (!err) acked++;
    });
  };

  try {
    await waitConnected(client, `${o.node}: MQTT probe (${where})`, connectMs);
    up = true;
    const aclHint = 'allow the probe user to subscribe and publish on gates.mqtt.topicPrefix/# (EMQX authorization)';
    // a broker may deny by closing the connection (aedes, EMQX with deny_action = disconnect)
    const closed = new Promise<'closed'>((r) => client.once('close', () => r('closed')));
    const subscribed = Promise.race([client.subscribeAsync(o.topic, { qos: 1 }), closed]);
    const granted = await withTimeout(subscribed, connectMs).catch((e: unknown) => {
      const msg = `${o.node}: subscribing the probe to ${o.topic} failed: ${errorMessage(e)}`;
      throw new RolloutError('remote', msg, { details: notes, hint: aclHint, cause: e });
    });
    if (granted === 'closed') {
      const msg = `${o.node}: the broker closed the probe connection when it subscribed to ${o.topic}`;
      throw new RolloutError('remote', msg, { hint: aclHint });
    }
    if (granted === 'timeout') {
      const msg = `${o.node}: no SUBACK for ${o.topic} within ${connectMs / 1000} s`;
      throw new RolloutError('remote', msg, { hint: aclHint });
    }
    if (granted.some((g) => g.qos === 128)) {
      const msg = `${o.node}: the broker refused the probe's subscription to ${o.topic}`;
      throw new RolloutError('remote', msg, { hint: aclHint });
    }
    publish();
    if (!(await until(() => received.length > 0 || !up, connectMs, o.now)) || received.length === 0) {
      const msg = `${o.node}: the first probe did not come back on ${o.topic} within ${connectMs / 1000} s`;
      throw new RolloutError('remote', msg, {
        details: notes,
        hint: aclHint,
      });
    }
  } catch (e) {
    await close();
    throw e;
  }
  timer = setInterval(publish, Math.max(1, Math.round(1000 / (o.ratePerSec ?? PROBE_RATE_PER_SEC))));

  const snapshot = (): ProbeLog => ({
    sentAt: [...sentAt],
    acked,
    received: [...received],
    disconnects,
    notes: [...notes],
  });
  return {
    async check(final) {
      if (final) {
        if (timer) clearInterval(timer);
        timer = undefined;
        await until(() => new Set(received).size >= sentAt.length || !up, o.drainMs ?? DRAIN_MS, o.now);
        const log = snapshot(); // before close: our own disconnect is not the node's
        await close();
        return judgeProbe(log, { now: o.now(), graceMs: 0, final: true, where });
      }
      // A fresh round trip first: a connection the node dropped during the hop may not have surfaced
      // as a close yet (it travels through the SSH channel); an echo, or the close, or the grace decides.
      const seq = sentAt.length + 1;
      publish();
      if (sentAt.length >= seq) await until(() => received.includes(seq) || !up, o.graceMs ?? GRACE_MS, o.now);
      return judgeProbe(snapshot(), { now: o.now(), graceMs: o.graceMs ?? GRACE_MS, final: false, where });
    },
    close,
  };
}

/** `{host}` in gates.mqtt.host is the node's SSH host (as in gate commands); else the value as written. */
export function probeTarget(gate: MqttGateSpec, spec: NodeSpec): { host: string; port: number } {
  return { host: gate.host === '{host}' ? spec.host : gate.host, port: gate.port };
}

export function probeTopic(gate: MqttGateSpec, node: string, runId: string): string {
  return `${gate.topicPrefix}/${node}/${runId}`;
}

const open = new WeakMap<RunContext, Set<MqttProbe>>();

/**
 * The engine's start call, after the gates before the hop passed: null without gates.mqtt; else the
 * `mqtt` gate-before result and, when it passed, the running probe.
 */
export async function startMqttGate(
  ctx: RunContext,
  spec: NodeSpec,
): Promise<{ gate: GateResult; probe: MqttProbe | null } | null> {
  const gate = ctx.inv.gates.mqtt;
  if (!gate) return null;
  const target = probeTarget(gate, spec);
  const topic = probeTopic(gate, spec.name, ctx.runId);
  const clientId = `emqx-rollout-probe-${ctx.runId}-${spec.name}`;
  try {
    const probe = await startProbe({
      node: spec.name,
      host: hostOf(ctx, spec.name),
      target,
      topic,
      clientId,
      ...(gate.username !== undefined ? { username: gate.username } : {}),
      ...(ctx.mqttPassword !== undefined ? { password: ctx.mqttPassword } : {}),
      now: () => ctx.now().getTime(),
      signal: ctx.signal,
    });
    const set = open.get(ctx) ?? new Set<MqttProbe>();
    open.set(ctx, set);
    set.add(probe);
    const tracked: MqttProbe = {
      check: async (final) => {
        const r = await probe.check(final);
        if (final) set.delete(probe);
        return r;
      },
      close: async () => {
        set.delete(probe);
        await probe.close();
      },
    };
    const where = `${target.host}:${target.port}`;
    ctx.note({ kind: 'mqtt.probe', runId: ctx.runId, node: spec.name, target: where, topic, clientId });
    return {
      gate: {
        gate: 'mqtt',
        ok: true,
        message: `probe connected to ${where} through SSH, a QoS 1 round trip on ${topic} works`,
      },
      probe: tracked,
    };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    const err = e instanceof RolloutError ? e : undefined;
    return {
      gate: {
        gate: 'mqtt',
        ok: false,
        message: `MQTT probe could not start: ${errorMessage(e)}`,
        evidence: [...(err?.details ?? []), ...(err?.hint ? [`→ ${err.hint}`] : [])],
      },
      probe: null,
    };
  }
}

/** Every probe still open in this run (after a halt or an interrupt). */
export async function closeMqttProbes(ctx: RunContext): Promise<void> {
  const set = open.get(ctx);
  if (!set) return;
  await Promise.all([...set].map((p) => p.close()));
  set.clear();
}
