// Pure readers of the two release files the plugin reads: releases/emqx_vars and
// releases/<vsn>/BUILD_INFO (emqx-cli-facts §4), and the official file-name rule.

/** The plugin's own rule: re:run(Bin, "^REL_VSN=\"([^\"]+)\"", [multiline]). */
export function relVsn(emqxVars: string): string | undefined {
  return emqxVars.match(/^REL_VSN="([^"]+)"/m)?.[1];
}

/**
 * `key: "value"` lines. The node keeps artefacts (a trailing `"\n`) in its own parse; we trim
 * spaces and quotes properly, since these values are compared and printed, not echoed back.
 */
export function parseBuildInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim();
    const value = line
      .slice(i + 1)
      .trim()
      .replace(/^"|"$/g, '')
      .trim();
    if (key) out[key] = value;
  }
  return out;
}

/** OTP major of an `erlang` field such as `27.3.4.2-8` → `27` (the handler compares majors). */
export function otpMajor(erlang: string): string {
  return erlang.split(/[.-]/)[0] ?? erlang;
}

/** BUILD_INFO arch (erlang:system_info(system_architecture)) → the package name's arch. */
export function packageArch(triple: string): 'amd64' | 'arm64' | 'arm' | undefined {
  if (/^(x86_64|amd64)\b/.test(triple)) return 'amd64';
  if (/^(aarch64|arm64)\b/.test(triple)) return 'arm64';
  if (/^arm/.test(triple)) return 'arm';
  return undefined;
}

/** Loose shape check done before hashing hundreds of MB: `emqx-enterprise-…-….tar.gz`. */
export const NAME_SHAPE = /^emqx-enterprise-\d+\.\d+\.\d+.*-(amd64|arm64|arm)\.tar\.gz$/;

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The name the build would have given this content: `emqx-enterprise-<vsn>[-elixir]-<os>-<arch>.tar.gz`
 * (untagged builds add `-g<sha>` after the version). `elixir` undefined → either flavour.
 */
export function expectedNamePattern(vsn: string, os: string, arch: string, elixir: boolean | undefined): RegExp {
  const ex = elixir === undefined ? '(-elixir)?' : elixir ? '-elixir' : '';
  return new RegExp(
    `^emqx-enterprise-${escapeRe(vsn)}(-g[0-9a-f]{7,40})?${ex}-${escapeRe(os)}-${escapeRe(arch)}\\.tar\\.gz$`,
  );
}

export function expectedName(vsn: string, os: string, arch: string, elixir: boolean | undefined): string {
  return `emqx-enterprise-${vsn}${elixir ? '-elixir' : ''}-${os}-${arch}.tar.gz`;
}
