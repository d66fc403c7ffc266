// Real MQTT clients on a simulated node's listener, so the connections gate judges real numbers.
import mqtt, { type MqttClient } from 'mqtt';

export interface Clients {
  readonly clients: readonly MqttClient[];
  connected(): number;
  end(): Promise<void>;
}

/**
 * `n` clients that do NOT reconnect (reconnectPeriod 0): a connection the upgrade drops stays
 * dropped, exactly what the connections gate must notice.
 */
export async function attachClients(host: string, port: number, n: number, tag: string): Promise<Clients> {
  const clients = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      mqtt.connectAsync(`mqtt://${host}:${port}`, {
        clientId: `${tag}-${i}-${process.pid}`,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        keepalive: 60,
      }),
    ),
  );
  return {
    clients,
    connected: () => clients.filter((c) => c.connected).length,
    end: async () => {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    },
  };
}
