// `releases/<vsn>/BUILD_INFO` (facts §4): `key: "value"` lines. The plugin compares `os`, `arch`
// and the OTP major of `erlang` between the running node and the target tarball.
export interface BuildInfoFields {
  readonly os: string;
  readonly arch: string;
  readonly erlang: string;
}

export function parseBuildInfo(text: string): BuildInfoFields | null {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_]+)\s*:\s*"?([^"]*)"?\s*$/.exec(line);
    if (m) fields.set(m[1], m[2].trim());
  }
  const os = fields.get('os');
  const arch = fields.get('arch');
  const erlang = fields.get('erlang');
  if (!os || !arch || !erlang) return null;
  return { os, arch, erlang };
}

/** OTP major of an `erlang` field such as `27.3.4.2-8` → `27`. */
export function otpMajor(erlang: string): string {
  return erlang.split(/[.-]/)[0];
}
