import { describe, expect, it } from 'vitest';
import { MessageLedger } from '../../src/demo/ledger.js';

describe('MessageLedger', () => {
  it('counts a message published once PUBACKed and received once it also reached the subscriber', () => {
    const l = new MessageLedger();
    l.sent('a:1');
    expect(l.counts(0, 0)).toEqual({ published: 0, received: 0, lost: 0 });
    expect(l.unacked()).toBe(1);
    l.acked('a:1', 100);
    expect(l.counts(100, 1000)).toEqual({ published: 1, received: 0, lost: 0 });
    expect(l.awaited()).toBe(1);
    l.received('a:1');
    expect(l.counts(5000, 0)).toEqual({ published: 1, received: 1, lost: 0 });
    expect(l.unacked() + l.awaited()).toBe(0);
  });

  it('accepts a delivery that overtakes its own PUBACK, and ignores QoS 1 duplicates', () => {
    const l = new MessageLedger();
    l.sent('a:1');
    l.received('a:1');
    l.received('a:1');
    expect(l.counts(0, 0)).toEqual({ published: 0, received: 0, lost: 0 });
    l.acked('a:1', 10);
    l.acked('a:1', 11);
    l.received('a:1');
    expect(l.counts(99_999, 0)).toEqual({ published: 1, received: 1, lost: 0 });
  });

  it('calls an acknowledged message lost only after the grace period', () => {
    const l = new MessageLedger();
    l.sent('a:1');
    l.acked('a:1', 1000);
    expect(l.counts(2999, 2000).lost).toBe(0);
    expect(l.counts(3001, 2000).lost).toBe(1);
    // the final count (grace 0 after the drain) calls every awaited message lost
    expect(l.counts(1001, 0).lost).toBe(1);
  });

  it('does not count a publish that failed before its PUBACK (the client knows) as published or lost', () => {
    const l = new MessageLedger();
    l.sent('a:1');
    l.sent('a:2');
    l.failed('a:1');
    l.acked('a:2', 0);
    l.received('a:2');
    expect(l.counts(10_000, 0)).toEqual({ published: 1, received: 1, lost: 0 });
    expect(l.failedCount).toBe(1);
    expect(l.sentCount).toBe(2);
  });
});
