// Inventory entry points. parseInventory is pure (text in, frozen Inventory out, no file system);
// loadInventory reads the file and also checks the local files it names (identityFile, knownHosts).
// The format is detected from the top level: `nodes` → ours; `all`, or groups with `hosts` /
// `children` → an Ansible YAML inventory (see ansible.ts).
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BadInputError } from '../util/errors.js';
import { ansibleToTree, looksLikeAnsible, ANSIBLE } from './ansible.js';
import { InventoryError, START, displayFile, type Problem } from './errors.js';
import { deepFreeze } from './freeze.js';
import { checkLocalFiles } from './localFiles.js';
import { parseYaml } from './tree.js';
import type { Inventory } from './types.js';
import { NATIVE, validateTree, type Analysis } from './validate.js';

export interface InventoryEnv {
  /** The operator's home: `~` in local paths expands to it. */
  readonly home: string;
  /** Relative inventory paths and the shown file name are relative to it. */
  readonly cwd: string;
  /**
   * The SSH user for nodes whose inventory sets none — as ssh (and Ansible) do, the local user
   * running the tool. parseInventory/analyzeInventory take it only from here (they stay pure);
   * loadInventory fills it from os.userInfo() when absent. Absent everywhere → `user` is required.
   */
  readonly user?: string;
}

/** The local login name, or undefined when the uid has no passwd entry (os.userInfo throws then). */
export function localUser(): string | undefined {
  try {
    const u = os.userInfo().username;
    return u === '' ? undefined : u;
  } catch {
    return undefined;
  }
}

export type InventoryFormat = 'native' | 'ansible';

export interface FullAnalysis extends Analysis {
  readonly format: InventoryFormat | undefined;
}

function firstPerPlace(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.pos.line}:${p.pos.col}:${p.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Every problem of the text, without touching the file system. */
export function analyzeInventory(text: string, file: string, env: InventoryEnv): FullAnalysis {
  const abs = path.resolve(env.cwd, file);
  const { root, problems: yamlProblems } = parseYaml(text);
  if (!root) {
    const problems: Problem[] = [...yamlProblems];
    if (problems.length === 0)
      problems.push({ pos: START, path: '', message: 'expected a mapping with `cluster` and `nodes` (or an Ansible inventory), found an empty file' });
    return { inventory: undefined, problems, localFiles: [], format: undefined };
  }
  if (looksLikeAnsible(root)) {
    const conv = ansibleToTree(root, abs);
    if (!conv.tree) return { inventory: undefined, problems: [...yamlProblems, ...conv.problems], localFiles: [], format: 'ansible' };
    const a = validateTree(conv.tree, { file: abs, home: env.home, dialect: ANSIBLE, defaultUser: env.user });
    // A Jinja value is reported by the adapter; its "expected an absolute path" echo is noise.
    const problems = firstPerPlace([...yamlProblems, ...conv.problems, ...a.problems]);
    return { ...a, inventory: problems.length ? undefined : a.inventory, problems, format: 'ansible' };
  }
  const a = validateTree(root, { file: abs, home: env.home, dialect: NATIVE, defaultUser: env.user });
  const problems = [...yamlProblems, ...a.problems];
  return { ...a, inventory: problems.length ? undefined : a.inventory, problems, format: 'native' };
}

/** Pure: validates the text; throws InventoryError with every problem. Local files are not checked. */
export function parseInventory(text: string, file: string, env: InventoryEnv): Inventory {
  const a = analyzeInventory(text, file, env);
  if (!a.inventory || a.problems.length) throw new InventoryError(displayFile(file, env.cwd), a.problems);
  return deepFreeze(a.inventory);
}

/**
 * Reads, validates and checks the local key / known_hosts files; every problem in one InventoryError.
 * `env.user` defaults to the local user (localUser()).
 */
export async function loadInventory(file: string, given: InventoryEnv): Promise<Inventory> {
  const env: InventoryEnv = { ...given, user: given.user ?? localUser() };
  const abs = path.resolve(env.cwd, file);
  const shown = displayFile(file, env.cwd);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInputError(`cannot read inventory ${shown}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e))}`, {
      hint: 'pass the inventory YAML file with -i (see inventories/example.yaml)',
      cause: e,
    });
  }
  const a = analyzeInventory(text, abs, env);
  const fileProblems = await checkLocalFiles(a.localFiles);
  const problems = [...a.problems, ...fileProblems];
  if (!a.inventory || problems.length) throw new InventoryError(shown, problems);
  return deepFreeze(a.inventory);
}
