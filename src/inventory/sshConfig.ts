// OpenSSH client config (ssh_config(5)) → what `ssh -G <alias>` would resolve for one host.
//
// Parsing is the `ssh-config` package's (pinned 5.3.0: maintained, typed, ESM, keeps every line's
// text so we can count line numbers, handles quoting and `Key=value`). Its own `compute()` is not
// used: it does not expand Include, ignores negated Host patterns' precedence rules, evaluates
// `Match exec` by spawning a shell and knows no tokens. The evaluation below follows OpenSSH's
// readconf.c instead: lines are read in order, `Host`/`Match` switch the "active" flag, the first
// value obtained for a keyword wins (IdentityFile accumulates), an Include inside an inactive block
// can never match, and ProxyJump / ProxyCommand exclude each other (the first one seen wins).
// What we cannot do faithfully is refused with file:line: `Match` criteria other than all / host /
// originalhost / user / localuser. A ProxyCommand is run by the remote layer (connect.ts).
//
// loadSshConfig does the I/O (the file and its Includes); resolveSshHost is pure.
import SSHConfig, { type Line } from 'ssh-config';
import path from 'node:path';

export interface SshConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

type Item =
  | { readonly kind: 'host'; readonly patterns: readonly string[]; readonly file: string; readonly line: number }
  | { readonly kind: 'match'; readonly args: readonly string[]; readonly file: string; readonly line: number }
  | { readonly kind: 'include'; readonly files: readonly SshConfigFile[]; readonly file: string; readonly line: number }
  | {
      readonly kind: 'option';
      readonly keyword: string;
      readonly args: readonly string[];
      readonly file: string;
      readonly line: number;
    };

export interface SshConfigFile {
  readonly file: string;
  readonly items: readonly Item[];
}

export interface SshConfig {
  /** The file read (absolute). */
  readonly file: string;
  readonly root: SshConfigFile;
  /** Load-time problems: unreadable Include, unsupported Match criteria, syntax. */
  readonly problems: readonly SshConfigProblem[];
}

/** The file system as loadSshConfig sees it (tests pass a real directory; nothing is stubbed). */
export interface SshConfigIO {
  readonly home: string;
  /** The file's text, or undefined when it does not exist. Throws on other errors. */
  read(file: string): string | undefined;
  /** Paths matching a glob pattern (absolute pattern), sorted as glob(3) sorts them. */
  glob(pattern: string): string[];
}

const MAX_INCLUDE_DEPTH = 16; // OpenSSH's READCONF_MAX_DEPTH
const MATCH_SUPPORTED = ['all', 'host', 'originalhost', 'user', 'localuser'];

function argsOf(value: string | readonly { val: string }[]): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  return value.map((v) => v.val);
}

/** Flattens the package's nested Host/Match sections into OpenSSH's sequential line order. */
function flatten(lines: readonly Line[], file: string, out: RawLine[], counter: { line: number }): void {
  for (const l of lines) {
    counter.line += (l.before.match(/\n/g) ?? []).length;
    const at = counter.line;
    if (l.type === SSHConfig.DIRECTIVE) {
      out.push({ keyword: l.param.toLowerCase(), args: argsOf(l.value), file, line: at });
      counter.line += (l.after.match(/\n/g) ?? []).length;
      if ('config' in l) flatten(l.config, file, out, counter);
    } else counter.line += (l.after.match(/\n/g) ?? []).length;
  }
}

interface RawLine {
  readonly keyword: string;
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
}

function expandTildeLocal(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** Reads `file` and every file it includes. An absent main file is an error of the caller's. */
export function loadSshConfig(file: string, io: SshConfigIO): SshConfig {
  const problems: SshConfigProblem[] = [];
  const sshDir = path.join(io.home, '.ssh');
  const readOne = (f: string, depth: number): SshConfigFile => {
    let text: string | undefined;
    try {
      text = io.read(f);
    } catch (e) {
      problems.push({
        file: f,
        line: 0,
        message: `cannot read ssh_config file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      });
      return { file: f, items: [] };
    }
    if (text === undefined) return { file: f, items: [] };
    const raw: RawLine[] = [];
    let parsed: SSHConfig;
    try {
      parsed = SSHConfig.parse(text);
    } catch (e) {
      problems.push({
        file: f,
        line: 0,
        message: `cannot parse ssh_config: ${e instanceof Error ? e.message : String(e)}`,
      });
      return { file: f, items: [] };
    }
    flatten(parsed, f, raw, { line: 1 });
    const items: Item[] = [];
    for (const r of raw) {
      if (r.keyword === 'host') items.push({ kind: 'host', patterns: r.args, file: f, line: r.line });
      else if (r.keyword === 'match') {
        const bad = matchProblem(r.args);
        if (bad) problems.push({ file: f, line: r.line, message: bad });
        items.push({ kind: 'match', args: r.args, file: f, line: r.line });
      } else if (r.keyword === 'include') {
        if (depth >= MAX_INCLUDE_DEPTH) {
          problems.push({
            file: f,
            line: r.line,
            message: `Include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`,
          });
          continue;
        }
        const files: SshConfigFile[] = [];
        for (const a of r.args) {
          // Relative to ~/.ssh, as for a user config (readconf.c); `~` is the home directory.
          const p = a.startsWith('/') || a.startsWith('~') ? expandTildeLocal(a, io.home) : path.join(sshDir, a);
          for (const m of io.glob(p)) files.push(readOne(m, depth + 1));
        }
        items.push({ kind: 'include', files, file: f, line: r.line });
      } else items.push({ kind: 'option', keyword: r.keyword, args: r.args, file: f, line: r.line });
    }
    return { file: f, items };
  };
  const root = readOne(file, 0);
  return { file, root, problems };
}

function matchProblem(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const c = args[i].toLowerCase().replace(/^!/, '');
    if (!MATCH_SUPPORTED.includes(c))
      return (
        `Match ${c} is not supported by emqx-rollout (only Match all, host, originalhost, user, localuser); ` +
        'write a Host block for the nodes instead'
      );
    if (c !== 'all') i++;
    else if (args.length > 1) return 'Match all must be the only criterion';
  }
  if (args.length === 0) return 'Match needs a criterion';
  return undefined;
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, everything else literal (case as given). */
export function matchPattern(s: string, pattern: string): boolean {
  let re = '^';
  for (const ch of pattern) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  return new RegExp(`${re}$`, 's').test(s);
}

/** match_pattern_list: comma list, `!` negates; 1 match, -1 negated match, 0 none. */
function matchPatternList(s: string, list: string, lower: boolean): number {
  let got = 0;
  for (const raw of list.split(',')) {
    const neg = raw.startsWith('!');
    const p = lower ? (neg ? raw.slice(1) : raw).toLowerCase() : neg ? raw.slice(1) : raw;
    if (matchPattern(s, p)) {
      if (neg) return -1;
      got = 1;
    }
  }
  return got;
}

/** Where one resolved value came from. */
export interface SshSource {
  readonly file: string;
  readonly line: number;
}

export interface SshResolution {
  /** The name asked for, as given (Host patterns match it case-sensitively, as in ssh). */
  readonly host: string;
  /** HostName with %h expanded, lowercased as ssh does; undefined when the config sets none. */
  readonly hostname?: { value: string; from: SshSource };
  readonly port?: { value: number; from: SshSource };
  readonly user?: { value: string; from: SshSource };
  /** IdentityFile entries in order, as written (tokens unexpanded, as `ssh -G` prints them). */
  readonly identityFiles: readonly { value: string; from: SshSource }[];
  /** The first UserKnownHostsFile line's files, as written. */
  readonly userKnownHostsFiles?: { value: readonly string[]; from: SshSource };
  /** ProxyJump as written (`none` kept). */
  readonly proxyJump?: { value: string; from: SshSource };
  readonly proxyCommand?: { value: string; from: SshSource };
  readonly identitiesOnly?: { value: boolean; from: SshSource };
  /** Problems with the values that apply to this host (bad Port, unknown % token). */
  readonly problems: readonly SshConfigProblem[];
}

export interface ResolveEnv {
  /** The local user (Match localuser; default for Match user). */
  readonly localUser: string;
  /** A user given outside the config (the inventory), seen by `Match user` like `ssh -l`. */
  readonly user?: string;
}

/** What `ssh -G -F <file> <alias>` resolves for the keys we use. Pure. */
export function resolveSshHost(cfg: SshConfig, alias: string, env: ResolveEnv): SshResolution {
  const host = alias;
  const problems: SshConfigProblem[] = [];
  const r: {
    hostname?: { value: string; from: SshSource };
    port?: { value: number; from: SshSource };
    user?: { value: string; from: SshSource };
    identityFiles: { value: string; from: SshSource }[];
    userKnownHostsFiles?: { value: readonly string[]; from: SshSource };
    proxyJump?: { value: string; from: SshSource };
    proxyCommand?: { value: string; from: SshSource };
    identitiesOnly?: { value: boolean; from: SshSource };
  } = { identityFiles: [] };
  // ProxyJump sets proxy_command "none" and ProxyCommand is skipped once jump_host is set.
  let proxyDecided = false;

  const matchActive = (args: readonly string[]): boolean => {
    for (let i = 0; i < args.length; i++) {
      const raw = args[i].toLowerCase();
      const neg = raw.startsWith('!');
      const c = neg ? raw.slice(1) : raw;
      let ok: boolean;
      if (c === 'all') ok = true;
      else {
        const arg = args[++i] ?? '';
        const subject =
          c === 'host'
            ? (r.hostname?.value ?? host)
            : c === 'originalhost'
              ? host
              : c === 'user'
                ? (env.user ?? r.user?.value ?? env.localUser)
                : env.localUser;
        ok =
          matchPatternList(
            c === 'host' || c === 'originalhost' ? subject.toLowerCase() : subject,
            arg,
            c === 'host' || c === 'originalhost',
          ) === 1;
      }
      if (neg ? ok : !ok) return false;
    }
    return true;
  };

  const walk = (f: SshConfigFile, neverMatch: boolean, activeRef: { v: boolean }) => {
    activeRef.v = !neverMatch;
    for (const it of f.items) {
      if (it.kind === 'host') {
        activeRef.v = false;
        if (neverMatch) continue;
        for (const p of it.patterns) {
          const neg = p.startsWith('!');
          if (matchPattern(host, neg ? p.slice(1) : p)) {
            if (neg) {
              activeRef.v = false;
              break;
            }
            activeRef.v = true;
          }
        }
      } else if (it.kind === 'match') {
        activeRef.v = neverMatch ? false : matchActive(it.args);
      } else if (it.kind === 'include') {
        const was = activeRef.v;
        for (const sub of it.files) {
          walk(sub, neverMatch || !was, activeRef);
          activeRef.v = was;
        }
      } else if (activeRef.v) apply(it);
    }
  };

  const apply = (it: Extract<Item, { kind: 'option' }>) => {
    const from = { file: it.file, line: it.line };
    const a0 = it.args[0];
    if (a0 === undefined) return;
    switch (it.keyword) {
      case 'hostname':
        if (!r.hostname) {
          const v = percentExpand(a0, { h: host });
          if (typeof v === 'string') r.hostname = { value: v.toLowerCase(), from };
          else problems.push({ ...from, message: `HostName ${a0}: ${v.error}` });
        }
        break;
      case 'port':
        if (!r.port) {
          const n = /^\d{1,5}$/.test(a0) ? Number(a0) : NaN;
          if (n >= 1 && n <= 65535) r.port = { value: n, from };
          else problems.push({ ...from, message: `Port ${a0}: expected a port 1–65535` });
        }
        break;
      case 'user':
        if (!r.user) r.user = { value: a0, from };
        break;
      case 'identityfile':
        r.identityFiles.push({ value: a0, from });
        break;
      case 'userknownhostsfile':
        if (!r.userKnownHostsFiles) r.userKnownHostsFiles = { value: it.args, from };
        break;
      case 'identitiesonly':
        if (!r.identitiesOnly) r.identitiesOnly = { value: /^(yes|true)$/i.test(a0), from };
        break;
      case 'proxyjump':
        if (!proxyDecided) {
          proxyDecided = true;
          r.proxyJump = { value: a0, from };
        }
        break;
      case 'proxycommand':
        if (!proxyDecided) {
          proxyDecided = true;
          const cmd = it.args.join(' ');
          if (cmd.toLowerCase() !== 'none') r.proxyCommand = { value: cmd, from };
        }
        break;
      default:
    }
  };

  walk(cfg.root, false, { v: true });
  return { host, ...r, problems };
}

/** percent_expand with the given tokens plus `%%`; an unknown token is an error, as in OpenSSH. */
export function percentExpand(s: string, tokens: Readonly<Record<string, string>>): string | { error: string } {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const t = s[++i];
    if (t === '%') out += '%';
    else if (t !== undefined && tokens[t] !== undefined) out += tokens[t];
    else
      return {
        error:
          t === undefined
            ? 'ends with a lone "%"'
            : `unknown token %${t} (supported here: ${Object.keys(tokens)
                .map((k) => `%${k}`)
                .join(' ')} %%)`,
      };
  }
  return out;
}

/** `~` and the tokens OpenSSH expands in IdentityFile / UserKnownHostsFile (see ssh_config(5) TOKENS). */
export function expandLocalFile(
  p: string,
  t: { home: string; localUser: string; host: string; user: string; port: number; alias: string; localHost: string },
): string | { error: string } {
  const v = percentExpand(p, {
    d: t.home,
    u: t.localUser,
    h: t.host,
    r: t.user,
    p: String(t.port),
    n: t.alias,
    l: t.localHost,
  });
  if (typeof v !== 'string') return v;
  return expandTildeLocal(v, t.home);
}
