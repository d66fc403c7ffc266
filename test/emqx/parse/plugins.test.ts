import { describe, expect, it } from 'vitest';
import { parsePluginsList } from '../../../src/emqx/parse/plugins.js';
import { crlf, fx } from '../fixture.js';

describe('parsePluginsList', () => {
  it('reads a jiffy-pretty list with emqx_relup 1.0.1', () => {
    expect(parsePluginsList(crlf(fx('constructed-plugins-list-relup.txt')))).toEqual({
      kind: 'plugins',
      plugins: [{ name: 'emqx_relup', relVsn: '1.0.1', runningStatus: 'running', configStatus: 'enabled' }],
    });
  });

  it('empty list', () => {
    expect(parsePluginsList('[]\n')).toEqual({ kind: 'plugins', plugins: [] });
  });

  it('the facts\' elided shape example (with "...") is not JSON → unrecognised, never a guess', () => {
    expect(parsePluginsList(fx('plugins-list-shape.txt')).kind).toBe('unrecognised');
  });

  it.each(['{}', '[{"name": "x"}]', '[{"name":"x","rel_vsn":"1","running_status":"running"}]', 'Error: x'])(
    'unrecognised: %s',
    (out) => {
      expect(parsePluginsList(out).kind).toBe('unrecognised');
    },
  );
});
