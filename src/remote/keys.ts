// Private keys: read and pre-validate before any connection, so a wrong or missing passphrase is
// reported once, clearly, before the UI starts. The passphrase never appears in any message.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { RolloutError } from '../util/errors.js';

// Named import of `utils` crashes under plain Node (CJS lexer): libraries.md §1.1.
const { utils } = ssh2;

export interface LoadedKey {
  readonly file: string;
  readonly data: Buffer;
  readonly passphrase: string | undefined;
  readonly type: string;
}

export const PASSPHRASE_ENV = 'EMQX_ROLLOUT_KEY_PASSPHRASE';

/** True when the key file is encrypted (so the caller knows to ask for a passphrase before connecting). */
export function keyNeedsPassphrase(data: Buffer): boolean {
  const r = utils.parseKey(data);
  return r instanceof Error && /passphrase|encrypted/i.test(r.message);
}

export function loadPrivateKey(file: string, passphrase: string | undefined, who: string): LoadedKey {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RolloutError('remote', `${who}: cannot read identityFile ${file} (${code ?? 'error'})`, {
      hint: 'set identityFile in the inventory to a readable private key, or leave it out to use ssh-agent (SSH_AUTH_SOCK)',
      cause: e,
    });
  }
  const text = data.toString('latin1');
  const parsed = utils.parseKey(data, passphrase) as ParsedKey | ParsedKey[] | Error;
  if (parsed instanceof Error) throw keyError(parsed, file, text, passphrase !== undefined, who);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) throw new RolloutError('remote', `${who}: identityFile ${file} holds no key`);
  if (!key.isPrivateKey()) {
    throw new RolloutError('remote', `${who}: identityFile ${file} is a public key, expected the private key`, {
      hint: `point identityFile at the file without .pub`,
    });
  }
  return { file, data, passphrase, type: key.type };
}

function keyError(err: Error, file: string, text: string, hadPassphrase: boolean, who: string): RolloutError {
  // Messages from ssh2's keyParser; we map them to what the operator should do. The original text
  // never contains the passphrase (only the parser's own wording), so it is safe to keep as cause.
  const m = err.message;
  if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    return new RolloutError(
      'remote',
      `${who}: identityFile ${file} is in PKCS#8 format, which the SSH library cannot read`,
      {
        hint: `convert it to OpenSSH format: ssh-keygen -p -f ${file}  (keeps the key, rewrites the file)`,
      },
    );
  }
  if (!hadPassphrase && /no passphrase|encrypted/i.test(m)) {
    return new RolloutError(
      'remote',
      `${who}: encrypted key needs a passphrase: set ${PASSPHRASE_ENV} or run on a TTY`,
      {
        details: [`identityFile: ${file}`],
        hint: 'or load the key into ssh-agent (ssh-add) and leave identityFile out',
      },
    );
  }
  if (hadPassphrase && /passphrase|decrypt|integrity|bad/i.test(m)) {
    return new RolloutError('remote', `${who}: wrong passphrase for identityFile ${file}`, {
      hint: `check ${PASSPHRASE_ENV} (its value is never printed)`,
    });
  }
  return new RolloutError('remote', `${who}: cannot use identityFile ${file}: ${m}`, {
    hint: 'supported: OpenSSH private keys (ed25519, ecdsa, rsa), PEM RSA/EC, PuTTY v2',
  });
}
