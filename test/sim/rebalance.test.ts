// The rebalance CLI texts of the simulator, byte for byte against reference/emqx-cli-facts.md A1.
import { describe, expect, it } from 'vitest';
import {
  EVAC_DEFAULTS,
  evacuationFileText,
  formatGlobalStatus,
  formatNodeStatus,
  parseEvacuationFile,
  parseRebalanceStart,
  REBALANCE_TEXT,
  REBALANCE_USAGE,
  type EvacView,
} from '../../src/sim/rebalance.js';
import { ctlHelp } from '../../src/sim/outputs.js';

const none = new Set<string>();
const err = (args: string[], existing = none, available = none): string => {
  const r = parseRebalanceStart(args, existing, available);
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`);
  return REBALANCE_TEXT.startError(r.message);
};

describe('rebalance start argument errors (facts A1, rendered)', () => {
  it('prints the exact error lines', () => {
    expect(err(['--evacuation', '--foo-bar'])).toBe('Rebalance start error: unknown arguments: ["--foo-bar"]\n');
    expect(err(['--evacuation', '--conn-evict-rate', 'x'])).toBe(
      'Rebalance start error: invalid --conn-evict-rate value\n',
    );
    expect(err(['--evacuation', '--wait-takeover', '0'])).toBe(
      'Rebalance start error: invalid --wait-takeover value\n',
    );
    expect(err(['--evacuation', '--wait-health-check', '5s'])).toBe(
      'Rebalance start error: invalid --wait-health-check value\n',
    );
    expect(err(['--evacuation', '--migrate-to', 'nonexistent@node'])).toBe(
      'Rebalance start error: invalid --migrate-to, invalid nodes: ["nonexistent@node"]\n',
    );
    expect(err(['--evacuation', '--migrate-to', 'emqx@10.0.0.9'], new Set(['emqx@10.0.0.9']))).toBe(
      'Rebalance start error: invalid --migrate-to, no nodes\n',
    );
    const both = new Set(['emqx@10.0.0.2', 'emqx@10.0.0.9']);
    expect(err(['--evacuation', '--migrate-to', 'emqx@10.0.0.2,emqx@10.0.0.9'], both, new Set(['emqx@10.0.0.2']))).toBe(
      "Rebalance start error: invalid --migrate-to, unavailable nodes: ['emqx@10.0.0.9']\n",
    );
    expect(err(['--evacuation', '--purge'])).toBe(
      'Rebalance start error: unknown evacuation arguments: [{"--purge",true}]\n',
    );
    expect(err(['--evacuation', '--conn-evict-rpc-timeout', '15'])).toBe(
      'Rebalance start error: unknown evacuation arguments: [{"--conn-evict-rpc-timeout","15"},\n' +
        '                               {"--evacuation",true}]\n',
    );
    // a flag given last with no value
    expect(err(['--evacuation', '--wait-takeover'])).toBe(
      'Rebalance start error: unknown arguments: ["--wait-takeover"]\n',
    );
  });

  it('validates in sorted key order (first failure wins) and keeps the last of a repeated flag', () => {
    // --conn-evict-rate sorts before --wait-takeover
    expect(err(['--evacuation', '--wait-takeover', 'no', '--conn-evict-rate', 'no'])).toBe(
      'Rebalance start error: invalid --conn-evict-rate value\n',
    );
    const r = parseRebalanceStart(
      ['--evacuation', '--conn-evict-rate', '5', '--conn-evict-rate', '7', '--redirect-to', 'a b'],
      none,
      none,
    );
    expect(r).toEqual({ kind: 'evacuation', opts: { ...EVAC_DEFAULTS, connEvictRate: 7, serverReference: 'a b' } });
    expect(parseRebalanceStart(['--evacuation'], none, none)).toEqual({ kind: 'evacuation', opts: EVAC_DEFAULTS });
  });
});

describe('rebalance outputs', () => {
  const view: EvacView = {
    phase: 'evicting_conns',
    opts: EVAC_DEFAULTS,
    recipients: ['emqx@10.0.0.2', 'emqx@10.0.0.3'],
    initialConnected: 200,
    initialSessions: 210,
    currentConnected: 120,
    currentSessions: 130,
  };
  const fields = [
    'Rebalance state: evicting_conns',
    'Connection eviction rate: 500 connections/second',
    'Session eviction rate: 500 sessions/second',
    'Connection goal: 0',
    'Session goal: 0',
    "Session recipient nodes: ['emqx@10.0.0.2','emqx@10.0.0.3']",
    'Channel statistics:',
    '  current_connected: 120',
    '  current_sessions: 130',
    '  initial_connected: 200',
    '  initial_sessions: 210',
  ];

  it('node-status while evacuating ends with an empty line; idle is `Rebalance disabled`', () => {
    expect(formatNodeStatus(view)).toBe(['Rebalance type: evacuation', ...fields, '', ''].join('\n'));
    expect(formatNodeStatus(null)).toBe('Rebalance disabled\n');
    expect(formatNodeStatus({ ...view, recipients: [] })).toContain('\nSession recipient nodes: []\n');
  });

  it('status: 68 dashes, the node line, the fields, no type line, no trailing empty line', () => {
    expect(formatGlobalStatus([['emqx@10.0.0.1', view]])).toBe(
      [`${'-'.repeat(68)}`, "Node 'emqx@10.0.0.1': evacuation", ...fields, ''].join('\n'),
    );
    expect(formatGlobalStatus([])).toBe('');
  });

  it('the usage block is the rendered one (trailing `# ` on empty descriptions)', () => {
    const lines = REBALANCE_USAGE.split('\n');
    expect(lines[0]).toBe('rebalance start --evacuation \\            # Start current node evacuation with optional');
    expect(lines[2]).toBe('  [--redirect-to "Host1 Host2 .."] \\      # ');
    expect(lines.at(-2)).toBe('rebalance stop                            # Stop node rebalance');
    expect(lines.length).toBe(25);
    expect(ctlHelp(true, '1.0.1')).toContain(`${'-'.repeat(110)}\n${REBALANCE_USAGE}`);
  });

  it('.evacuation keeps four keys as pretty JSON and reads back', () => {
    const o = {
      ...EVAC_DEFAULTS,
      serverReference: 'mqtt://b:1883',
      waitTakeover: 3,
      migrateTo: ['x@y'],
      waitHealthCheck: 9,
    };
    const text = evacuationFileText(o);
    expect(text).toBe(
      '{\n  "wait_takeover" : 3,\n  "sess_evict_rate" : 500,\n  "server_reference" : "mqtt://b:1883",\n  "conn_evict_rate" : 500\n}',
    );
    expect(parseEvacuationFile(text)).toEqual({ ...EVAC_DEFAULTS, serverReference: 'mqtt://b:1883', waitTakeover: 3 });
    expect(parseEvacuationFile('not json')).toBeNull();
  });
});
