// Confirmation and secret prompts. Every command that changes a node asks on a TTY, accepts --yes,
// and without a TTY and without --yes refuses (exit 2) rather than hang (PRODUCT.md).
import { createInterface } from 'node:readline';
import { BadInputError } from '../util/errors.js';
import type { CliIO } from './io.js';

export function requireConfirmable(io: CliIO, yes: boolean, what: string): void {
  if (yes || io.stdinTTY) return;
  throw new BadInputError(`refusing to ${what} without confirmation: stdin is not a terminal and --yes was not given`, {
    hint: 'review the change with `emqx-rollout plan …`, then re-run with --yes',
  });
}

export async function confirm(io: CliIO, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(`${question} [y/N] `, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Read a secret without echo. Used for an encrypted key's passphrase when the env var is unset. */
export async function promptSecret(io: CliIO, question: string): Promise<string> {
  const stdin = io.stdin;
  io.stderr.write(question);
  const wasRaw = stdin.isRaw;
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(buf);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new BadInputError('passphrase prompt interrupted'));
          return;
        }
        if (ch === '\u007f') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode?.(wasRaw);
      stdin.pause();
      io.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
