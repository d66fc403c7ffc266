// Every local input checked in one step at the CLI edge, before anything is contacted: flags, the
// inventory (every problem with file:line:col), the tarball and its sidecar, the identity keys and
// the state directory. All problems are reported together (one exit 2): an operator fixing inputs
// at 3 a.m. must not discover the second mistake only after fixing the first.
import { constants, readFileSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';
import { PASSPHRASE_ENV, keyNeedsPassphrase, loadPrivateKey } from '../remote/keys.js';
import { BadInputError, RolloutError } from '../util/errors.js';
import type { CliIO } from './io.js';
import { requireConfirmable } from './prompt.js';
import { loadRelease, type LocalRelease } from './release.js';
import { passphraseFor, stateDirFor } from './session.js';
import { parseWindowFlag } from './windowFlag.js';

/** Several input problems at once; `long()` lists each with its place, what was expected and the fix. */
export class BadInputsError extends BadInputError {
  readonly problems: readonly BadInputError[];

  constructor(problems: readonly BadInputError[]) {
    super(`${problems.length} input problems; nothing was contacted`, {
      hint: 'fix every problem above and run again',
    });
    this.name = 'BadInputsError';
    this.problems = problems;
  }

  override long(): string {
    const lines = [this.message];
    this.problems.forEach((p, i) => {
      const [first, ...rest] = p.long().split('\n');
      lines.push(`[${i + 1}] ${first}`, ...rest.map((l) => `  ${l}`));
    });
    if (this.hint) lines.push(`  → ${this.hint}`);
    return lines.join('\n');
  }
}

/** Throws nothing for no problems, the problem itself for one (its text unchanged), else the aggregate. */
export function throwProblems(problems: readonly BadInputError[]): void {
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new BadInputsError(problems);
}

/** A check that throws a BadInputError (or a configuration RolloutError such as an unusable key). */
function collect(problems: BadInputError[], fn: () => void): void {
  try {
    fn();
  } catch (e) {
    problems.push(asInputProblem(e));
  }
}

function asInputProblem(e: unknown): BadInputError {
  if (e instanceof BadInputError) return e;
  // Key errors come from the remote layer as kind 'remote' (exit 2 too): the same words, as input.
  if (e instanceof RolloutError && e.kind === 'remote')
    return new BadInputError(e.message, { details: e.details, ...(e.hint ? { hint: e.hint } : {}), cause: e });
  throw e; // anything else is a bug, not an input problem
}

export interface InputRequest {
  readonly inventory: string;
  /** `required`: the command needs --tarball; `optional`: checked when given; absent: not used. */
  readonly tarball?: { readonly path: string | undefined; readonly required: boolean };
  /** The command changes nodes: without a terminal it needs --yes. */
  readonly confirm?: { readonly yes: boolean; readonly what: string };
  /** `--window` as given (upgrade). */
  readonly window?: string;
  readonly stateDir: string | undefined;
  /** Flag checks against the loaded inventory (e.g. `--node` names one of its nodes). */
  readonly checks?: ReadonlyArray<(inv: Inventory) => void>;
  /** Problems commander's option parsers found (e.g. `--pause-after x`), reported with the rest. */
  readonly flagProblems?: readonly BadInputError[];
}

export interface Inputs {
  readonly inv: Inventory;
  readonly release: LocalRelease | undefined;
  readonly passphrase: string | undefined;
}

/**
 * The nearest existing ancestor of `dir` must be a writable directory (the journal creates the rest).
 * Nothing is created here: validation changes nothing.
 */
async function checkStateDir(dir: string, given: boolean): Promise<BadInputError | undefined> {
  let p = dir;
  for (;;) {
    try {
      const st = await stat(p);
      if (!st.isDirectory()) {
        return new BadInputError(`the state directory ${dir} cannot be created: ${p} is not a directory`, {
          details: ['the journal and reports of every run go there'],
          hint: 'pass a writable directory with --state-dir',
        });
      }
      await access(p, constants.W_OK);
      return undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) {
        p = dirname(p);
        continue;
      }
      if (e instanceof BadInputError) return e;
      return new BadInputError(`cannot write the journal in ${dir} (${code ?? 'error'} on ${p})`, {
        details: ['the journal and reports of every run go there'],
        hint: given
          ? 'pass a writable directory with --state-dir'
          : "make the inventory's directory writable, or pass a writable directory with --state-dir",
      });
    }
  }
}

/**
 * Validate every input; return them loaded, or throw all problems together. Prompts (a key's
 * passphrase) only when everything else is right, so a broken run never asks for a secret.
 */
export async function validateInputs(io: CliIO, req: InputRequest): Promise<Inputs> {
  const problems: BadInputError[] = [...(req.flagProblems ?? [])];
  if (req.confirm) collect(problems, () => requireConfirmable(io, req.confirm!.yes, req.confirm!.what));

  const tb = req.tarball;
  const [invR, relR] = await Promise.allSettled([
    loadInventory(resolve(io.cwd, req.inventory), { home: io.home, cwd: io.cwd, sshConfigFile: io.sshConfigFile }),
    tb && (tb.required || tb.path !== undefined) ? loadRelease(tb.path, io.cwd, io.signal) : Promise.resolve(undefined),
  ]);
  // Inventory problems first (they are the most numerous and come with positions), then the release.
  if (invR.status === 'rejected') problems.push(asInputProblem(invR.reason));
  if (relR.status === 'rejected') problems.push(asInputProblem(relR.reason));
  const inv = invR.status === 'fulfilled' ? invR.value : undefined;

  if (req.window !== undefined) {
    const v = req.window.trim();
    // A mode (enforce|wait) needs the inventory's window: only judged when the inventory loaded.
    if (inv || !['enforce', 'wait'].includes(v)) collect(problems, () => parseWindowFlag(req.window, inv?.window));
  }

  let passphrase: string | undefined;
  if (inv) {
    for (const check of req.checks ?? []) collect(problems, () => check(inv));
    const sd = await checkStateDir(stateDirFor(inv, req.stateDir, io.cwd), req.stateDir !== undefined);
    if (sd) problems.push(sd);
    const keys = [...new Set(inv.nodes.map((n) => n.identityFile).filter((f): f is string => !!f))];
    const fromEnv = io.env[PASSPHRASE_ENV];
    if (problems.length > 0) {
      // Check what can be checked without asking: an encrypted key waits for its prompt.
      for (const file of keys) {
        if (fromEnv === undefined && io.stdinTTY && encrypted(file)) continue;
        collect(problems, () => loadPrivateKey(file, fromEnv, `inventory ${inv.file}`));
      }
    } else {
      passphrase = await passphraseFor(io, inv);
      for (const file of keys) collect(problems, () => loadPrivateKey(file, passphrase, `inventory ${inv.file}`));
    }
  }
  throwProblems(problems);
  return { inv: inv!, release: relR.status === 'fulfilled' ? relR.value : undefined, passphrase };
}

function encrypted(file: string): boolean {
  try {
    return keyNeedsPassphrase(readFileSync(file));
  } catch {
    return false;
  }
}
