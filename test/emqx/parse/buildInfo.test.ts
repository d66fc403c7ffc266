import { describe, expect, it } from 'vitest';
import { otpMajor, parseBuildInfo } from '../../../src/emqx/parse/buildInfo.js';

// releases/<vsn>/BUILD_INFO as rendered from rel/BUILD_INFO (facts §4, without the notes' comments).
const BUILD_INFO = 'arch: "x86_64-pc-linux-gnu"\nwordsize: 64\nos: "ubuntu22.04"\nerlang: "27.3.4.2-8"\nelixir: "none"\nrelform: "tgz"\n';

describe('parseBuildInfo', () => {
  it('reads os, arch and erlang (LF and CRLF)', () => {
    const expected = { os: 'ubuntu22.04', arch: 'x86_64-pc-linux-gnu', erlang: '27.3.4.2-8' };
    expect(parseBuildInfo(BUILD_INFO)).toEqual(expected);
    expect(parseBuildInfo(BUILD_INFO.replace(/\n/g, '\r\n'))).toEqual(expected);
  });
  it('null when a field is missing', () => {
    expect(parseBuildInfo(BUILD_INFO.replace(/^os:.*\n/m, ''))).toBeNull();
    expect(parseBuildInfo('')).toBeNull();
  });
  it('otpMajor', () => {
    expect(otpMajor('27.3.4.2-8')).toBe('27');
    expect(otpMajor('26')).toBe('26');
  });
});
