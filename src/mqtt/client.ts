// One way to open an MQTT client, shared by the demo's traffic (TCP to a simulated node's listener)
// and the MQTT gate's probe (over a forwarded channel of our SSH connection to the node): the same
// mqtt.js options, the same connect wait and the same error wording.
import type { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { RolloutError } from '../util/errors.js';

export type MqttTarget =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  /** An already-open byte stream (an SSH direct-tcpip channel). Used once: no reconnect over it. */
  | { readonly kind: 'stream'; readonly stream: Duplex; readonly describe: string };

export interface MqttClientOptions {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** 0 = never reconnect (a dropped connection stays dropped: the gate must see it). */
  readonly reconnectPeriodMs: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveSeconds?: number;
}

export function openMqttClient(target: MqttTarget, o: MqttClientOptions): MqttClient {
  const common: IClientOptions = {
    clientId: o.clientId,
    clean: true,
    keepalive: o.keepaliveSeconds ?? 30,
    reconnectPeriod: o.reconnectPeriodMs,
    connectTimeout: o.connectTimeoutMs,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
  };
  if (target.kind === 'tcp') return mqtt.connect({ ...common, host: target.host, port: target.port });
  // mqtt.js's custom stream builder: called on connect (and on every reconnect, which a stream
  // target never does: reconnectPeriod must be 0 for it).
  if (o.reconnectPeriodMs !== 0) throw new RolloutError('internal', 'an MQTT client over a stream cannot reconnect');
  return new mqtt.MqttClient(() => target.stream, { ...common, reconnectPeriod: 0 });
}

/** Resolves on the first CONNACK; rejects on a refusal (bad credentials, …), a close, or the deadline. */
export function waitConnected(client: MqttClient, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.connected) return resolve();
    const done = (err?: RolloutError): void => {
      clearTimeout(t);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onConnect = (): void => done();
    const onError = (e: Error & { code?: number }): void =>
      done(
        new RolloutError('remote', `${what}: MQTT connection refused: ${e.message}`, {
          ...(e.code === 4 || e.code === 5 || e.code === 134 || e.code === 135
            ? { hint: 'check gates.mqtt.username and the password in the variable named by gates.mqtt.passwordEnv' }
            : {}),
          cause: e,
        }),
      );
    const onClose = (): void => done(new RolloutError('remote', `${what}: the MQTT connection closed before CONNACK`));
    const t = setTimeout(
      () => done(new RolloutError('remote', `${what}: no MQTT CONNACK within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}
