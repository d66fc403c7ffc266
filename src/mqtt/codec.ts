// The payload of a probe message, shared by the demo's traffic and the MQTT gate's probe: the
// sender's client id and a per-sender sequence number, `<source>:<seq>`. Receivers judge loss,
// duplicates and order by this payload, never by MQTT packet ids (the broker renumbers those per
// connection, and a QoS 1 redelivery carries a new one).

export interface Probe {
  readonly source: string;
  readonly seq: number;
}

export function encodeProbe(source: string, seq: number): string {
  return `${source}:${seq}`;
}

/** null for a payload that is not a probe (someone else's message on the topic). */
export function decodeProbe(payload: string | Buffer): Probe | null {
  const s = typeof payload === 'string' ? payload : payload.toString('utf8');
  const i = s.lastIndexOf(':');
  if (i <= 0) return null;
  const digits = s.slice(i + 1);
  if (!/^[1-9]\d{0,15}$/.test(digits)) return null;
  return { source: s.slice(0, i), seq: Number(digits) };
}
