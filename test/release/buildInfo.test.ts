import { describe, expect, it } from 'vitest';
import { otpMajor, packageArch, parseBuildInfo, relVsn } from '../../src/release/buildInfo.js';

// releases/<vsn>/BUILD_INFO as rendered from rel/BUILD_INFO (facts §4). The same parser reads the
// tarball's copy (release check) and the node's copy (observe), so both sides compare alike.
const BUILD_INFO =
  'arch: "x86_64-pc-linux-gnu"\nwordsize: 64\nos: "ubuntu22.04"\nerlang: "27.3.4.2-8"\nelixir: "none"\nrelform: "tgz"\n';

describe('BUILD_INFO and emqx_vars', () => {
  it('reads os, arch and erlang without quotes (LF and CRLF)', () => {
    for (const text of [BUILD_INFO, BUILD_INFO.replace(/\n/g, '\r\n')]) {
      const bi = parseBuildInfo(text);
      expect([bi.os, bi.arch, bi.erlang, bi.wordsize]).toEqual([
        'ubuntu22.04',
        'x86_64-pc-linux-gnu',
        '27.3.4.2-8',
        '64',
      ]);
    }
  });
  it('a missing field is absent, not empty', () => {
    expect(parseBuildInfo(BUILD_INFO.replace(/^os:.*\n/m, '')).os).toBeUndefined();
    expect(parseBuildInfo('')).toEqual({});
  });
  it('otpMajor compares majors only', () => {
    expect(otpMajor('27.3.4.2-8')).toBe('27');
    expect(otpMajor('26')).toBe('26');
  });
  it("package arch from the architecture triple; REL_VSN by the plugin's own regex", () => {
    expect(packageArch('x86_64-pc-linux-gnu')).toBe('amd64');
    expect(packageArch('aarch64-unknown-linux-gnu')).toBe('arm64');
    expect(relVsn('## x\nREL_VSN="5.10.5"\nERTS_VSN="15.2"\n')).toBe('5.10.5');
    expect(relVsn('REL_VSN=5.10.5\n')).toBeUndefined();
  });
});
