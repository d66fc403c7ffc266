// Key handling for the simulated sshd: parse the host key and the authorized keys once, at start,
// and judge each publickey attempt the way OpenSSH does (blob match, then signature check).
import ssh2 from 'ssh2'; // CJS: named imports of utils crash under plain Node ESM (libraries.md §1.1)
import type { ParsedKey, PublicKeyAuthContext } from 'ssh2';
import { timingSafeEqual } from 'node:crypto';
import { BadInputError } from '../../util/errors.js';

const { utils } = ssh2;

export interface HostKey {
  /** The private key text as given (ssh2 parses it again itself). */
  readonly privateKey: string;
  /** 'ssh-ed25519 AAAA…' without a comment: what a known_hosts line carries. */
  readonly publicLine: string;
}

export function parseHostKey(text: string): HostKey {
  const parsed = utils.parseKey(text) as ParsedKey | ParsedKey[] | Error;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  // Never echo the key text: it is a secret.
  if (key instanceof Error || key === undefined) {
    throw new BadInputError(
      `sim ssh server: hostKey is not a usable private key (${key instanceof Error ? key.message : 'empty'})`,
      {
        hint: 'pass an unencrypted OpenSSH/PEM private key, e.g. from `ssh-keygen -t ed25519 -N ""`',
      },
    );
  }
  if (!key.isPrivateKey()) {
    throw new BadInputError('sim ssh server: hostKey is a public key; a private key is needed', {
      hint: 'pass the private half (the file without .pub)',
    });
  }
  return { privateKey: text, publicLine: `${key.type} ${key.getPublicSSH().toString('base64')}` };
}

export function parseAuthorizedKeys(lines: readonly string[]): ParsedKey[] {
  const keys: ParsedKey[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parsed = utils.parseKey(line) as ParsedKey | ParsedKey[] | Error;
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key instanceof Error || key === undefined) {
      throw new BadInputError(
        `sim ssh server: authorizedKeys[${i}] is not an OpenSSH public key line (${key instanceof Error ? key.message : 'empty'})`,
        {
          details: [`starts with: ${JSON.stringify(line.slice(0, 24))}`],
          hint: 'expected "<type> <base64> [comment]", e.g. the content of id_ed25519.pub',
        },
      );
    }
    keys.push(key);
  });
  return keys;
}

/**
 * 'accept' when the offered key is authorized and (if signed) the signature verifies. A query
 * without signature is accepted too: ssh2 then answers PK_OK and the client signs next.
 */
export function judgePublicKey(ctx: PublicKeyAuthContext, authorized: readonly ParsedKey[]): 'accept' | 'reject' {
  for (const key of authorized) {
    // Compare blobs, not algorithm names: RSA arrives as rsa-sha2-256/512 while key.type is ssh-rsa.
    const blob = key.getPublicSSH();
    if (ctx.key.data.length !== blob.length || !timingSafeEqual(ctx.key.data, blob)) continue;
    if (ctx.signature === undefined) return 'accept';
    if (ctx.blob === undefined) return 'reject';
    return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? 'accept' : 'reject';
  }
  return 'reject';
}
