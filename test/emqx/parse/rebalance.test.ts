// `emqx ctl rebalance …` and `eviction status`, the exact texts of facts A1, and the transient
// answers of A5.
import { describe, expect, it } from 'vitest';
import {
  isDrained,
  parseEvictionStatus,
  parseRebalanceNodeStatus,
  parseRebalanceStart,
  parseRebalanceStop,
} from '../../../src/emqx/parse/rebalance.js';
import { detectTransient } from '../../../src/emqx/parse/transient.js';

const RUNNING = `Rebalance type: evacuation
Rebalance state: evicting_conns
Connection eviction rate: 500 connections/second
Session eviction rate: 500 sessions/second
Connection goal: 0
Session goal: 0
Session recipient nodes: ['emqx@10.0.0.2','emqx@10.0.0.3']
Channel statistics:
  current_connected: 120
  current_sessions: 130
  initial_connected: 200
  initial_sessions: 210

`;
const USAGE_WITHOUT_REBALANCE = `Usage: emqx ctl
${'-'.repeat(110)}
status                                          # Show broker status
${'-'.repeat(110)}
broker                                          # Show broker version, uptime and description
`;

describe('rebalance start --evacuation (exit 1 even on success)', () => {
  it.each([
    ['Rebalance(evacuation) started\n', 1, { kind: 'started' }],
    ['Rebalance is already enabled\n', 1, { kind: 'already-enabled' }],
    [
      'Rebalance start error: unknown arguments: ["--foo-bar"]\n',
      1,
      { kind: 'error', message: 'unknown arguments: ["--foo-bar"]' },
    ],
    [
      'Rebalance start error: invalid --migrate-to, no nodes\n',
      1,
      { kind: 'error', message: 'invalid --migrate-to, no nodes' },
    ],
    [
      'Rebalance start error: unknown evacuation arguments: [{"--conn-evict-rpc-timeout","15"},\n                               {"--evacuation",true}]\n',
      1,
      {
        kind: 'error',
        message: 'unknown evacuation arguments: [{"--conn-evict-rpc-timeout","15"}, {"--evacuation",true}]',
      },
    ],
    ['', 1, { kind: 'crashed' }],
    ['Command table is initializing.\n', 1, { kind: 'initializing', raw: 'Command table is initializing.\n' }],
    ['No commands available.\n', 1, { kind: 'no-commands', raw: 'No commands available.\n' }],
    [USAGE_WITHOUT_REBALANCE, 1, { kind: 'not-registered-yet', raw: USAGE_WITHOUT_REBALANCE }],
  ])('%j exit %s', (out, rc, want) => expect(parseRebalanceStart(out, '', rc)).toEqual(want));

  it('a dead node is down, not crashed', () => {
    expect(parseRebalanceStart('', "Node 'emqx@10.0.0.1' not responding to pings.\n", 1).kind).toBe('down');
  });
});

describe('rebalance stop (exit 1 even on success)', () => {
  it.each([
    ['Rebalance(evacuation) stopped\n', { kind: 'stopped', what: 'evacuation' }],
    ['Rebalance(purge) stopped\n', { kind: 'stopped', what: 'purge' }],
    ['Rebalance stopped\n', { kind: 'stopped', what: 'rebalance' }],
    ['Rebalance is already disabled\n', { kind: 'already-disabled' }],
  ])('%j', (out, want) => expect(parseRebalanceStop(out, '', 1)).toEqual(want));
  it('anything else is unrecognised', () => expect(parseRebalanceStop('weird\n', '', 1).kind).toBe('unrecognised'));
});

describe('rebalance node-status', () => {
  it('idle', () => expect(parseRebalanceNodeStatus('Rebalance disabled\n', '', 0)).toEqual({ kind: 'disabled' }));
  it('evacuating: state, counts by name, recipients', () => {
    const s = parseRebalanceNodeStatus(RUNNING, '', 0);
    expect(s).toEqual({
      kind: 'enabled',
      type: 'evacuation',
      state: 'evicting_conns',
      connected: 120,
      sessions: 130,
      recipients: ['emqx@10.0.0.2', 'emqx@10.0.0.3'],
    });
    expect(isDrained(s)).toBe(false);
  });
  it('statistics in another order (OTP 27 maps), prohibiting and drained, single node', () => {
    const t = RUNNING.replace('evicting_conns', 'prohibiting')
      .replace("['emqx@10.0.0.2','emqx@10.0.0.3']", '[]')
      .replace(
        '  current_connected: 120\n  current_sessions: 130\n',
        '  current_sessions: 0\n  initial_sessions: 9\n  current_connected: 0\n',
      );
    const s = parseRebalanceNodeStatus(t, '', 0);
    expect(s).toMatchObject({ kind: 'enabled', state: 'prohibiting', connected: 0, sessions: 0, recipients: [] });
    expect(isDrained(s)).toBe(true);
  });
  it.each([
    ['Node status error: invalid node\n', 1, { kind: 'error', message: 'Node status error: invalid node' }],
    [
      'Error detecting rebalance status: {badrpc,nodedown}\n',
      0,
      { kind: 'error', message: 'Error detecting rebalance status: {badrpc,nodedown}' },
    ],
  ])('%j exit %s', (out, rc, want) => expect(parseRebalanceNodeStatus(out, '', rc)).toEqual(want));
  it('a purge is enabled but not an evacuation: not drained', () => {
    expect(
      isDrained(
        parseRebalanceNodeStatus(
          RUNNING.replace('evacuation', 'purge').replace('current_connected: 120', 'current_connected: 0'),
          '',
          0,
        ),
      ),
    ).toBe(false);
  });
});

describe('eviction status', () => {
  it.each([
    ['Eviction status: enabled\n', 0, { kind: 'eviction', enabled: true }],
    ['Eviction status: disabled\n', 0, { kind: 'eviction', enabled: false }],
  ])('%j', (out, rc, want) => expect(parseEvictionStatus(out, '', rc)).toEqual(want));
});

describe('detectTransient', () => {
  it('only with exit 1; the usage form only when the command is missing from it', () => {
    expect(detectTransient('Command table is initializing.\n', 0)).toBeNull();
    expect(detectTransient(USAGE_WITHOUT_REBALANCE, 1, 'relup')?.kind).toBe('not-registered-yet');
    expect(
      detectTransient(`${USAGE_WITHOUT_REBALANCE}${'-'.repeat(110)}\nrelup status    # Show status\n`, 1, 'relup'),
    ).toBeNull();
    expect(detectTransient(USAGE_WITHOUT_REBALANCE, 1)).toBeNull();
  });
});
