import { describe, expect, it } from 'vitest';
import { parseClusterStatus } from '../../../src/emqx/parse/clusterStatus.js';
import { crlf, fx } from '../fixture.js';

describe('parseClusterStatus', () => {
  it.each([
    ['cluster-status-single.txt', ['emqx@127.0.0.1'], []],
    ['cluster-status-wrapped-3.txt', ['emqx@node1.emqx.io', 'emqx@node2.emqx.io', 'emqx@node3.emqx.io'], []],
    ['cluster-status-stopped.txt', ['emqx@node1.emqx.io', 'emqx@node2.emqx.io'], ['emqx@node3.emqx.io']],
    ['cluster-status-json-docs.txt', ['emqx@127.0.0.1'], []],
  ])('%s (also with CRLF)', (file, running, stopped) => {
    expect(parseClusterStatus(fx(file))).toEqual({ kind: 'cluster', running, stopped });
    expect(parseClusterStatus(crlf(fx(file)))).toEqual({ kind: 'cluster', running, stopped });
  });

  it('jiffy pretty --json with the empty-array quirk on the running side', () => {
    const out = '{\n  "stopped_nodes" : [\n    "emqx@b"\n  ],\n  "running_nodes" : [\n    \n  ]\n}\n';
    expect(parseClusterStatus(out)).toEqual({ kind: 'cluster', running: [], stopped: ['emqx@b'] });
  });

  it.each([
    "Cluster status: #{running_nodes => ['a@h']}\n", // stopped_nodes missing
    'Cluster status: #{running_nodes => ["a@h"],stopped_nodes => []}\n', // strings, not atoms
    '{"running_nodes": ["a@h"]}\n',
    '{"running_nodes": [1], "stopped_nodes": []}\n',
    "Cluster status: #{running_nodes => ['a@h',\n", // truncated
    'hello\n',
  ])('unrecognised: %j', (out) => {
    expect(parseClusterStatus(out)).toEqual({ kind: 'unrecognised', raw: out });
  });

  it('down when stderr says so', () => {
    expect(parseClusterStatus('', "Node 'emqx@h' not responding to pings.", 1).kind).toBe('down');
  });
});
