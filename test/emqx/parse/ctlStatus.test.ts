import { describe, expect, it } from 'vitest';
import { parseCtlStatus } from '../../../src/emqx/parse/ctlStatus.js';

describe('parseCtlStatus', () => {
  it.each([
    ["Node 'emqx@127.0.0.1' 5.10.4 is started\n", 'emqx@127.0.0.1', '5.10.4', 'started'],
    ["Node 'emqx@node1.emqx.io' 5.10.5 is starting\r\n", 'emqx@node1.emqx.io', '5.10.5', 'starting'],
    ["Node 'emqx@10.0.0.11' 5.10.4-g1234abcd is stopping\n", 'emqx@10.0.0.11', '5.10.4-g1234abcd', 'stopping'],
    ['Node emqx 5.0.3 is started\n', 'emqx', '5.0.3', 'started'],
  ])('running: %j', (stdout, node, version, status) => {
    expect(parseCtlStatus(stdout, '', 0)).toEqual({ kind: 'running', node, version, status });
  });

  it.each([
    ["Node 'emqx@127.0.0.1' not responding to pings.\n", 'emqx@127.0.0.1'],
    ['ERROR: Node emqx@127.0.0.1 is not running?\n', 'emqx@127.0.0.1'],
    ["Failed to connect to node 'emqx@10.0.0.12'\n", 'emqx@10.0.0.12'],
  ])('down (stderr, exit 1): %j', (stderr, node) => {
    const r = parseCtlStatus('', stderr, 1);
    expect(r).toEqual({ kind: 'down', node, message: stderr.trim() });
  });

  it('a down message with exit 0 is not a verdict of "down"', () => {
    expect(parseCtlStatus('', "Node 'emqx@h' not responding to pings.\n", 0).kind).toBe('unrecognised');
  });

  it.each([
    ["Node 'emqx@127.0.0.1' 5.10.4 is started\n", '', 1],
    ["Node 'emqx@127.0.0.1' 5.10.4 is running\n", '', 0],
    ["Node 'emqx@127.0.0.1' 5.10.4 is started\nextra\n", '', 0],
    ['', '', 0],
    ['ERROR: More than one EMQX node found running (root dir: /opt/emqx)\n', '', 1],
  ])('unrecognised keeps the raw text: %j exit %s', (stdout, stderr, code) => {
    const r = parseCtlStatus(stdout, stderr, code);
    expect(r.kind).toBe('unrecognised');
    if (r.kind === 'unrecognised') expect(r.raw).toContain(stdout.trim());
  });
});
