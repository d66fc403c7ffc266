// The machinery of the fault-matrix rows that need more than a simulator fault: a jump host (real
// OpenSSH sshd) that goes away, a tmpfs that fills (the journal's state dir, a node's staging dir),
// the bastion's wall clock stepping, and a clean upgrade before a day-2 command. The rows: cases.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { explain, runCli, startCli, type CliEvent, type CliResult } from '../e2e/support/crashCli.js';
import { knownHostsLine, startSshd } from '../support/sshd.js';
import type { CaseContext } from './harness.js';
import { killTree } from './sshdUpload.js';

const yq = (s: string): string => JSON.stringify(s);

/** Mounts a tmpfs of `size` (e.g. '1m') at `dir`. Needs root (CI runs as root); says so otherwise. */
export function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`this row mounts a ${size} tmpfs at ${dir} and needs root: ${String(e)}`);
  }
}

export function umount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // not mounted (any more)
  }
}

/** Appends `gates.commands` to the sim inventory (whose last section is `gates:`). */
export async function addGateCommands(inventoryPath: string, commands: readonly string[]): Promise<void> {
  await appendFile(inventoryPath, `  commands: ${JSON.stringify(commands)}\n`);
}

/** The cluster at the target by a clean `upgrade` (exit 0): the ground a day-2 command starts from. */
export async function cleanUpgrade({ c }: CaseContext): Promise<void> {
  const r = await runCli(['upgrade', '-i', c.inventoryPath, '--tarball', c.tarballPath, '--yes', '--json'], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`prepare: the clean upgrade exited ${r.code}\n${explain(r)}`);
}

/**
 * The first run reaches every node through a jump host — a real OpenSSH sshd on 127.0.0.61 — and
 * the jump host (listener and every session it forked) is SIGKILLed at the first event matching
 * `at` (+ `delayMs`). The node-side SSH servers stay up: only the path from the bastion is gone.
 */
export function viaJumpHostKilledAt(at: (e: CliEvent, nodes: readonly string[]) => boolean, what: string, delayMs = 0) {
  return async ({ c, args }: CaseContext): Promise<CliResult> => {
    const pub = await readFile(`${c.keyPath}.pub`, 'utf8');
    const jump = await startSshd({ host: '127.0.0.61', authorizedKeys: pub });
    try {
      await appendFile(c.knownHostsPath, `${knownHostsLine(jump.host, jump.port, jump.hostPublicKey)}\n`);
      const text = await readFile(c.inventoryPath, 'utf8');
      const jumpLine = `    jump: ${yq(`${userInfo().username}@${jump.host}:${jump.port}`)}`;
      // same directory and cluster name as the sim inventory: one journal, one lock for both runs
      const inv = join(dirname(c.inventoryPath), 'inventory.jump.yaml');
      await writeFile(inv, text.replace(/^( {4}backupDir: .*)$/gm, `$1\n${jumpLine}`));
      const a = args();
      a[a.indexOf('-i') + 1] = inv;
      const run = startCli(a);
      const names = c.nodes.map((n) => n.name);
      await run.waitFor((e) => at(e, names), 90_000, what);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      killTree(jump.pid);
      return await run.done;
    } finally {
      await jump.stop().catch(() => undefined);
    }
  };
}

const PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'clockJump.mjs');
const hhmm = (d: Date): string =>
  `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

/**
 * The first run has `--window` open from 30 min ago to 90 min from now (UTC, every day), and the
 * CLI's wall clock steps by `offsetMs` at the first event matching `at` (clockJump.mjs).
 */
export function clockStepAt(at: (e: CliEvent, nodes: readonly string[]) => boolean, what: string, offsetMs: number) {
  return async ({ c, args }: CaseContext): Promise<CliResult> => {
    const now = Date.now();
    const window = `mon,tue,wed,thu,fri,sat,sun ${hhmm(new Date(now - 30 * 60_000))}-${hhmm(new Date(now + 90 * 60_000))} UTC`;
    const offsetFile = join(c.dir, 'clock-offset-ms');
    const run = startCli(args('--window', window), {
      env: {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(PRELOAD).href}`.trim(),
        RELIABILITY_CLOCK_OFFSET_FILE: offsetFile,
      },
    });
    const names = c.nodes.map((n) => n.name);
    await run.waitFor((e) => at(e, names), 90_000, what);
    writeFileSync(offsetFile, String(offsetMs));
    return await run.done;
  };
}
