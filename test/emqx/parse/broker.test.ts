import { describe, expect, it } from 'vitest';
import { connectionCount, parseBroker, parseBrokerStats, parseUptime } from '../../../src/emqx/parse/broker.js';
import { crlf, fx } from '../fixture.js';

describe('parseBroker', () => {
  it('reads the recorded output', () => {
    expect(parseBroker(fx('broker.txt'))).toEqual({
      kind: 'broker',
      sysdescr: 'EMQX Enterprise',
      version: '5.10.4',
      datetime: '2026-06-20T10:11:12.123456789+00:00',
      uptimeSeconds: 86_400 + 2 * 3600 + 3 * 60 + 4,
    });
    expect(parseBroker(crlf(fx('broker.txt'))).kind).toBe('broker');
  });

  it.each<[string, number | null]>([
    ['52 seconds', 52],
    ['3 minutes, 0 seconds', 180],
    ['2 hours, 0 minutes, 5 seconds', 7205],
    ['1 days, 2 hours, 3 minutes, 4 seconds', 93_784],
    ['1 day, 1 second', 86_401],
    ['', 0],
    ['4 seconds, 3 minutes', null],
    ['52 secs', null],
    ['about a minute', null],
  ])('uptime %j → %s', (text, seconds) => {
    expect(parseUptime(text)).toBe(seconds);
  });

  it('missing field or stray line → unrecognised', () => {
    const noUptime = fx('broker.txt').split('\n').slice(0, 3).join('\n');
    expect(parseBroker(noUptime).kind).toBe('unrecognised');
    expect(parseBroker(`${fx('broker.txt')}garbage\n`).kind).toBe('unrecognised');
  });
});

describe('parseBrokerStats', () => {
  it('reads the recorded output; exit 1 is the normal exit', () => {
    const r = parseBrokerStats(fx('broker-stats.txt'), '', 1);
    expect(r.kind).toBe('stats');
    if (r.kind !== 'stats') return;
    expect(Object.keys(r.stats)).toHaveLength(28);
    expect(r.stats['subscriptions.shared.max']).toBe(0);
    expect(connectionCount(r.stats)).toBe(0);
  });

  it('reads real numbers and prefers connections.count', () => {
    const out = 'connections.count             : 1234\nlive_connections.count        : 1200\n';
    const r = parseBrokerStats(out, '', 1);
    expect(r).toEqual({ kind: 'stats', stats: { 'connections.count': 1234, 'live_connections.count': 1200 } });
    expect(connectionCount({ 'live_connections.count': 7 })).toBe(7);
    expect(connectionCount({ 'topics.count': 7 })).toBeNull();
  });

  it.each([
    ['connections.count : many\n', 1],
    ['', 1],
    ['connections.count : 1\n', 2],
  ])('unrecognised %j exit %s', (out, code) => {
    expect(parseBrokerStats(out, '', code).kind).toBe('unrecognised');
  });

  it('down', () => {
    expect(parseBrokerStats('', "Node 'emqx@h' not responding to pings.\n", 1)).toEqual({
      kind: 'down',
      node: 'emqx@h',
      message: "Node 'emqx@h' not responding to pings.",
    });
  });
});
