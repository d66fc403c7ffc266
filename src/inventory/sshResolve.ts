// One node's SSH endpoint after ssh_config: what the inventory wrote wins, then the config (as
// `ssh -G` resolves it), then the built-in default. Pure: the config is already loaded and file
// existence (OpenSSH silently skips a missing IdentityFile) is asked through `exists`.
import path from 'node:path';
import { parseJumpHopRaw } from './jump.js';
import {
  expandLocalFile,
  percentExpand,
  resolveSshHost,
  type SshConfig,
  type SshConfigProblem,
  type SshResolution,
  type SshSource,
} from './sshConfig.js';
import type { JumpHost } from './types.js';

export interface SshContext {
  readonly config: SshConfig;
  readonly home: string;
  /** The local user running the tool (Match localuser, %u, the default jump user). */
  readonly localUser: string;
  /** This machine's host name (%l). */
  readonly localHost: string;
  /** Relative IdentityFile paths are relative to it, as for ssh. */
  readonly cwd: string;
  readonly exists: (file: string) => boolean;
}

/** What the inventory wrote for a node (undefined: not written). */
export interface WrittenSsh {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  /** null → written as `~` (agent only). */
  readonly identityFile?: string | null;
  readonly knownHosts?: string;
  readonly jump?: readonly JumpHost[];
}

export interface ResolvedSsh {
  /** The address dialled. */
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  /** Existing key files from the config, in order (when the inventory wrote none). */
  readonly identityFiles?: readonly string[];
  readonly knownHosts?: string;
  readonly jump?: readonly JumpHost[];
  readonly identitiesOnly?: boolean;
  /** ProxyCommand with its tokens expanded (only when no jump applies). */
  readonly proxyCommand?: string;
  /** Where each config-derived field came from. */
  readonly sources: Partial<Record<'host' | 'port' | 'user' | 'identityFile' | 'knownHosts' | 'jump', SshSource>>;
  readonly problems: readonly SshConfigProblem[];
}

const MAX_JUMP_DEPTH = 8;

export function resolveNodeSsh(ctx: SshContext, w: WrittenSsh): ResolvedSsh {
  const problems: SshConfigProblem[] = [];
  const res = resolveSshHost(ctx.config, w.host, { localUser: ctx.localUser, user: w.user });
  problems.push(...res.problems);
  const sources: ResolvedSsh['sources'] = {};
  const host = res.hostname?.value ?? w.host;
  if (res.hostname) sources.host = res.hostname.from;
  const port = w.port ?? res.port?.value;
  if (w.port === undefined && res.port) sources.port = res.port.from;
  const user = w.user ?? res.user?.value;
  if (w.user === undefined && res.user) sources.user = res.user.from;
  const tokens = {
    home: ctx.home,
    localUser: ctx.localUser,
    host,
    user: user ?? ctx.localUser,
    port: port ?? 22,
    alias: res.host,
    localHost: ctx.localHost,
  };

  let identityFiles: string[] | undefined;
  if (w.identityFile === undefined && res.identityFiles.length > 0) {
    identityFiles = files(res.identityFiles, tokens, ctx, problems);
    if (identityFiles.length > 0) sources.identityFile = res.identityFiles[0].from;
  }
  let knownHosts: string | undefined;
  if (w.knownHosts === undefined && res.userKnownHostsFiles?.value[0]?.toLowerCase() === 'none') {
    problems.push({
      ...res.userKnownHostsFiles.from,
      message: `UserKnownHostsFile none applies to ${w.host}, but host keys are always verified: set knownHosts in the inventory to a file holding the nodes' keys`,
    });
  } else if (w.knownHosts === undefined && res.userKnownHostsFiles) {
    const kh = files(
      [{ value: res.userKnownHostsFiles.value[0], from: res.userKnownHostsFiles.from }],
      tokens,
      ctx,
      problems,
      true,
    );
    if (kh[0]) {
      knownHosts = kh[0];
      sources.knownHosts = res.userKnownHostsFiles.from;
    }
  }
  let proxyCommand: string | undefined;
  if (res.proxyCommand && w.jump === undefined) {
    const v = proxyTokens(res.proxyCommand.value, host, port ?? 22, user ?? ctx.localUser, w.host);
    if (typeof v === 'string') {
      proxyCommand = v;
      sources.jump = res.proxyCommand.from;
    } else problems.push({ ...res.proxyCommand.from, message: `ProxyCommand: ${v.error}` });
  }

  let jump: JumpHost[] | undefined;
  if (w.jump !== undefined) {
    jump = resolveWrittenChain(ctx, w.jump, problems, [w.host]);
  } else if (res.proxyJump && res.proxyJump.value.toLowerCase() !== 'none') {
    jump = resolveJumpSpec(ctx, res.proxyJump.value, res.proxyJump.from, problems, [w.host]);
    sources.jump = res.proxyJump.from;
  }
  return {
    host,
    port,
    user,
    identityFiles,
    knownHosts,
    jump,
    identitiesOnly: res.identitiesOnly?.value,
    proxyCommand,
    sources,
    problems,
  };
}

function files(
  list: readonly { value: string; from: SshSource }[],
  tokens: Parameters<typeof expandLocalFile>[1],
  ctx: SshContext,
  problems: SshConfigProblem[],
  keepMissing = false,
): string[] {
  const out: string[] = [];
  for (const f of list) {
    const v = expandLocalFile(f.value, tokens);
    if (typeof v !== 'string') {
      problems.push({ ...f.from, message: `${f.value}: ${v.error}` });
      continue;
    }
    const abs = path.resolve(ctx.cwd, v);
    if (keepMissing || ctx.exists(abs)) out.push(abs);
  }
  return out;
}

/**
 * A ProxyJump value `a,b,c` as OpenSSH runs it: `ssh -J a,b -W target c`, so c (and b) are dialled
 * with the given user/port over their config, and only the first hop's own ProxyJump counts.
 */
function resolveJumpSpec(
  ctx: SshContext,
  spec: string,
  from: SshSource,
  problems: SshConfigProblem[],
  seen: readonly string[],
): JumpHost[] | undefined {
  const hops: { user: string | undefined; host: string; port: number | undefined }[] = [];
  for (const part of spec.split(',')) {
    const r = parseJumpHopRaw(part, true);
    if (!r.ok) {
      problems.push({ ...from, message: `ProxyJump: ${r.message}` });
      return undefined;
    }
    hops.push(r.hop);
  }
  return resolveHops(ctx, hops, from, problems, seen, true);
}

function resolveWrittenChain(
  ctx: SshContext,
  chain: readonly JumpHost[],
  problems: SshConfigProblem[],
  seen: readonly string[],
): JumpHost[] | undefined {
  // A written hop's port is 22 when none was written; the config's Port wins only over that default.
  return resolveHops(
    ctx,
    chain.map((j) => ({ user: j.user, host: j.host, port: j.port === 22 ? undefined : j.port })),
    undefined,
    problems,
    seen,
    false,
  );
}

function resolveHops(
  ctx: SshContext,
  hops: readonly { user: string | undefined; host: string; port: number | undefined }[],
  from: SshSource | undefined,
  problems: SshConfigProblem[],
  seen: readonly string[],
  fromConfig: boolean,
): JumpHost[] | undefined {
  const first = hops[0]?.host;
  if (first !== undefined && (seen.includes(first) || seen.length > MAX_JUMP_DEPTH)) {
    problems.push({
      file: from?.file ?? ctx.config.file,
      line: from?.line ?? 0,
      message:
        `ProxyJump loops: ${[...seen, first].join(' → ')} (ssh would loop too); exclude the jump host from the ` +
        `block that sets it, e.g. "Host * !${first}"`,
    });
    return undefined;
  }
  const out: JumpHost[] = [];
  hops.forEach((h, i) => {
    const r: SshResolution = resolveSshHost(ctx.config, h.host, { localUser: ctx.localUser, user: h.user });
    problems.push(...r.problems);
    if (i === 0 && r.proxyJump && r.proxyJump.value.toLowerCase() !== 'none') {
      const before = resolveJumpSpec(ctx, r.proxyJump.value, r.proxyJump.from, problems, [...seen, h.host]);
      if (before) out.push(...before);
    }
    const host = r.hostname?.value ?? h.host;
    const port = h.port ?? r.port?.value ?? 22;
    // OpenSSH dials a config-named jump host as the local user unless its config says otherwise;
    // a jump written in the inventory without a user keeps the inventory's rule (the node's user).
    const user = h.user ?? r.user?.value ?? (fromConfig ? ctx.localUser : undefined);
    const tokens = {
      home: ctx.home,
      localUser: ctx.localUser,
      host,
      user: user ?? ctx.localUser,
      port,
      alias: r.host,
      localHost: ctx.localHost,
    };
    const ids = files(r.identityFiles, tokens, ctx, problems);
    const kh = r.userKnownHostsFiles
      ? files(
          [{ value: r.userKnownHostsFiles.value[0], from: r.userKnownHostsFiles.from }],
          tokens,
          ctx,
          problems,
          true,
        )
      : [];
    let proxyCommand: string | undefined;
    if (i === 0 && r.proxyCommand) {
      const v = proxyTokens(r.proxyCommand.value, host, port, user ?? ctx.localUser, h.host);
      if (typeof v === 'string') proxyCommand = v;
      else problems.push({ ...r.proxyCommand.from, message: `ProxyCommand: ${v.error}` });
    }
    out.push({
      user,
      host,
      port,
      ...(ids[0] ? { identityFile: ids[0] } : {}),
      ...(kh[0] ? { knownHosts: kh[0] } : {}),
      ...(proxyCommand ? { proxyCommand } : {}),
    });
  });
  return out;
}

/** ProxyCommand's tokens as ssh expands them: %h host dialled, %p port, %r user, %n the name given. */
function proxyTokens(cmd: string, host: string, port: number, user: string, alias: string): string | { error: string } {
  return percentExpand(cmd, { h: host, p: String(port), r: user, n: alias });
}
