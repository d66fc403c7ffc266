// OpenSSH known_hosts: parse, match, judge. Pure except readKnownHostsFile().
// Format: sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT". A host field is a comma list of patterns (`*`, `?`,
// `!negation`) or one hashed `|1|base64(salt)|base64(HMAC-SHA1(salt, token))`; the token is `host` for
// port 22 and `[host]:port` otherwise. Optional marker `@revoked` / `@cert-authority` in front.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RolloutError } from '../util/errors.js';

export interface KnownHostEntry {
  readonly file: string;
  /** 1-based line number in `file`, for messages. */
  readonly line: number;
  readonly marker: '@revoked' | undefined;
  /** Raw host field: pattern list or hashed `|1|…|…`. */
  readonly hosts: string;
  readonly keyType: string;
  /** SSH wire-format public key blob (what ssh2 hands to hostVerifier). */
  readonly key: Buffer;
}

export interface ParsedKnownHosts {
  readonly entries: readonly KnownHostEntry[];
  /** Lines we understood but cannot use (e.g. `@cert-authority`: ssh2 has no host certificates). */
  readonly notes: readonly string[];
}

export type HostKeyVerdict = 'ok' | 'mismatch' | 'unknown' | 'revoked';

export function parseKnownHosts(text: string, file = 'known_hosts'): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const notes: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    let marker: '@revoked' | undefined;
    if (parts[0].startsWith('@')) {
      const m = parts.shift()!;
      if (m === '@cert-authority') {
        notes.push(
          `${file}:${lineNo}: @cert-authority line skipped (host certificates are not supported; add the host's plain key instead)`,
        );
        return;
      }
      if (m !== '@revoked') {
        notes.push(`${file}:${lineNo}: unknown marker ${m}, line skipped`);
        return;
      }
      marker = m;
    }
    if (parts.length < 3) {
      notes.push(`${file}:${lineNo}: expected "hosts keytype base64-key", line skipped`);
      return;
    }
    const [hosts, keyType, b64] = parts as [string, string, string];
    const key = Buffer.from(b64, 'base64');
    // A blob starts with its own key type as an SSH string; a line whose base64 does not is corrupt.
    if (blobKeyType(key) !== keyType) {
      notes.push(`${file}:${lineNo}: key does not decode as ${keyType}, line skipped`);
      return;
    }
    entries.push({ file, line: lineNo, marker, hosts, keyType, key });
  });
  return { entries, notes };
}

/** OpenSSH writes non-22 ports as `[host]:port`, port 22 as the bare host. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${esc}$`, 'i');
}

/** Does a known_hosts host field match `token` (already in `[host]:port` form)? */
export function hostMatches(field: string, token: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of field.split(',')) {
    if (pat.startsWith('!')) {
      // A matching negation wins over any positive pattern on the same line (sshd(8)).
      if (globToRegExp(pat.slice(1)).test(token)) return false;
    } else if (globToRegExp(pat).test(token)) {
      matched = true;
    }
  }
  return matched;
}

/** Entries whose host field matches host:port (revoked ones included). */
export function entriesForHost(entries: readonly KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  const token = hostToken(host, port);
  return entries.filter((e) => hostMatches(e.hosts, token));
}

/**
 * The verdict for the key a server offered. Like OpenSSH, a `@revoked` line applies when its host
 * patterns match (usually `*`), and revocation beats any accepting line.
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const mine = entriesForHost(entries, host, port);
  if (mine.some((e) => e.marker === '@revoked' && e.key.equals(key))) return 'revoked';
  const plain = mine.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return 'ok';
  return plain.length > 0 ? 'mismatch' : 'unknown';
}

const DEFAULT_HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

/**
 * Host-key algorithms to offer, the ones known for this host first. Without this ssh2 negotiates
 * ssh-ed25519 first and a host known only by its RSA key fails verification (libraries.md §1.3).
 * A known `ssh-rsa` key is negotiated as rsa-sha2-512/256: SHA-1 signatures are off since OpenSSH 8.8.
 */
export function hostKeyAlgorithms(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const known: string[] = [];
  for (const e of entriesForHost(entries, host, port)) {
    if (e.marker) continue;
    known.push(...(e.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256'] : [e.keyType]));
  }
  return [...new Set([...known, ...DEFAULT_HOST_KEY_ALGOS])];
}

/** The key type written at the start of an SSH public key blob, or undefined if malformed. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || 4 + n > blob.length) return undefined;
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** OpenSSH fingerprint form: `SHA256:` + unpadded base64 of sha256(blob) (matches `ssh-keygen -lf`). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The line an operator appends to known_hosts, e.g. `[10.0.0.12]:2222 ssh-ed25519 AAAA…`. */
export function knownHostsEntryLine(host: string, port: number, blob: Buffer): string {
  return `${hostToken(host, port)} ${blobKeyType(blob) ?? 'unknown-key-type'} ${blob.toString('base64')}`;
}

export function readKnownHostsFile(file: string, who: string): ParsedKnownHosts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RolloutError('remote', `${who}: cannot read known_hosts file ${file} (${code ?? String(e)})`, {
      hint: "host keys are always verified: point knownHosts in the inventory at a readable file holding the nodes' keys",
      cause: e,
    });
  }
  return parseKnownHosts(text, file);
}

export interface HostKeyContext {
  /** Node name and, for a jump hop, which hop: "emqx@10.0.0.11 (jump 1 of 2)". */
  readonly who: string;
  readonly host: string;
  readonly port: number;
  readonly file: string;
}

/** The refusal for anything but 'ok': names the key, the file, and the exact line to add. */
export function hostKeyRefusal(
  verdict: Exclude<HostKeyVerdict, 'ok'>,
  ctx: HostKeyContext,
  offered: Buffer,
  entries: readonly KnownHostEntry[],
): RolloutError {
  const where = `${ctx.host}:${ctx.port}`;
  const type = blobKeyType(offered) ?? 'unknown-key-type';
  const fp = fingerprint(offered);
  const line = knownHostsEntryLine(ctx.host, ctx.port, offered);
  const known = entriesForHost(entries, ctx.host, ctx.port).filter((e) => e.marker === undefined);
  const details = [`offered host key: ${type} ${fp}`, `known_hosts file: ${ctx.file}`];
  switch (verdict) {
    case 'unknown':
      details.push('line to add (after verifying the fingerprint out of band):', `  ${line}`);
      return new RolloutError('remote', `${ctx.who}: host key of ${where} is not in ${ctx.file}; refusing to connect`, {
        details,
        hint: `check the fingerprint on the node itself (ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-/, '')}_key.pub), then append the line above to ${ctx.file}`,
      });
    case 'mismatch':
      for (const e of known) details.push(`known key (${e.file}:${e.line}): ${e.keyType} ${fingerprint(e.key)}`);
      details.push('line to add if the host was legitimately re-keyed (after verifying out of band):', `  ${line}`);
      return new RolloutError(
        'remote',
        `${ctx.who}: HOST KEY MISMATCH for ${where}: the key offered is not the one in ${ctx.file}; refusing to connect`,
        {
          details,
          hint: `this may be an attack; if the node was re-keyed, remove the old entry (ssh-keygen -R '${ctx.port === 22 ? ctx.host : `[${ctx.host}]:${ctx.port}`}' -f ${ctx.file}) and add the line above`,
        },
      );
    case 'revoked':
      return new RolloutError(
        'remote',
        `${ctx.who}: host key of ${where} is marked @revoked in ${ctx.file}; refusing to connect`,
        {
          details,
          hint: 'the node must get a new host key; then add that key to known_hosts',
        },
      );
  }
}
