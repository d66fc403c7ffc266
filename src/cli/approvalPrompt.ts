// The --pause-after question on a terminal without the live view (--plain, --json): a line prompt
// on stderr. Ctrl-C at the prompt, or SIGTERM meanwhile, is an interrupt (exit 130), as elsewhere.
import { createInterface } from 'node:readline';
import type { Answer } from '../rollout/upgrade/approval.js';
import type { CliIO } from './io.js';

export function promptApproval(io: CliIO, question: string, signal: AbortSignal): Promise<Answer> {
  if (signal.aborted) return Promise.resolve('interrupt');
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  return new Promise<Answer>((resolve) => {
    let done = false;
    const finish = (a: Answer) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(a);
    };
    const onAbort = () => finish('interrupt');
    signal.addEventListener('abort', onAbort, { once: true });
    // readline takes Ctrl-C from a terminal in raw mode: without this it would only pause input.
    rl.on('SIGINT', () => finish('interrupt'));
    rl.once('close', () => finish('reject')); // stdin closed: nobody can say yes
    const ask = () =>
      rl.question(`${question} [y/n] `, (a) => {
        const t = a.trim().toLowerCase();
        if (t === 'y' || t === 'yes') finish('approve');
        else if (t === 'n' || t === 'no') finish('reject');
        else ask(); // an accidental Enter must not decide a production rollout either way
      });
    ask();
  });
}
