// Shared helpers of the simulator tests: build dist/ once (the node's bin/emqx runs the BUILT
// dist/sim/emqxCli.js), run bin/emqx directly, and ssh to a simulated node with OpenSSH.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export { ensureBuilt } from '../support/build.js';

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export function runCmd(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: env ?? process.env, timeout: 60_000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ stdout, stderr, code });
      },
    );
  });
}

/** `<root>/bin/emqx ARGS` as an operator's shell runs it (its own TMPDIR keeps caches in the test dir). */
export const emqx = (root: string, args: readonly string[], tmpDir?: string): Promise<Run> =>
  runCmd(join(root, 'bin', 'emqx'), args, tmpDir ? { ...process.env, TMPDIR: tmpDir } : process.env);

export function ssh(
  o: { key: string; knownHosts: string; port: number; user: string; host: string },
  command: string,
): Promise<Run> {
  return runCmd('ssh', [
    '-i',
    o.key,
    '-o',
    `UserKnownHostsFile=${o.knownHosts}`,
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-p',
    String(o.port),
    `${o.user}@${o.host}`,
    command,
  ]);
}

export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
