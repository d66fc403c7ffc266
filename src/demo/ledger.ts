// Message accounting for the demo's MQTT traffic, pure (the clock is a parameter). A message is
// "published" once the broker acknowledged it (QoS 1 PUBACK) and "received" once it is published
// and the subscriber on the other node saw it; QoS 1 may deliver twice, duplicates count once.
// "Lost" = acknowledged but not received within `graceMs` of its PUBACK: a message still in
// flight is not lost yet, so the live counter does not flicker.

export interface MessageCounts {
  readonly published: number;
  readonly received: number;
  readonly lost: number;
}

interface Entry {
  ackedAt: number | null;
  received: boolean;
}

export class MessageLedger {
  readonly #open = new Map<string, Entry>();
  #sent = 0;
  #published = 0;
  #received = 0;
  #failed = 0;

  /** A PUBLISH left the client (not yet acknowledged). */
  sent(id: string): void {
    this.#sent++;
    this.#open.set(id, { ackedAt: null, received: false });
  }

  /** The broker's PUBACK arrived. */
  acked(id: string, now: number): void {
    const e = this.#open.get(id);
    if (!e || e.ackedAt !== null) return;
    this.#published++;
    if (e.received) {
      this.#received++;
      this.#open.delete(id);
    } else e.ackedAt = now;
  }

  /** The publish failed (connection closed before PUBACK): the client knows; not counted as lost. */
  failed(id: string): void {
    const e = this.#open.get(id);
    if (!e || e.ackedAt !== null) return;
    this.#failed++;
    this.#open.delete(id);
  }

  /**
   * The subscriber got it. Unknown or already-seen ids are QoS 1 duplicates. It counts as received
   * once it is also acknowledged (a message can overtake its own PUBACK), so received ≤ published.
   */
  received(id: string): void {
    const e = this.#open.get(id);
    if (!e || e.received) return;
    if (e.ackedAt !== null) {
      this.#received++;
      this.#open.delete(id);
    } else e.received = true;
  }

  /** Sent but neither acknowledged nor failed yet. */
  unacked(): number {
    let n = 0;
    for (const e of this.#open.values()) if (e.ackedAt === null && !e.received) n++;
    return n;
  }

  /** Acknowledged and still awaited by the subscriber. */
  awaited(): number {
    let n = 0;
    for (const e of this.#open.values()) if (e.ackedAt !== null) n++;
    return n;
  }

  get failedCount(): number {
    return this.#failed;
  }

  get sentCount(): number {
    return this.#sent;
  }

  counts(now: number, graceMs: number): MessageCounts {
    let lost = 0;
    for (const e of this.#open.values()) if (e.ackedAt !== null && now - e.ackedAt > graceMs) lost++;
    return { published: this.#published, received: this.#received, lost };
  }
}
