// Inventory entry points. parseInventory is pure (text in, frozen Inventory out, no file system);
// loadInventory reads the file and also checks the local files it names (identityFile, knownHosts).
// The format is detected from the top level: `nodes` → ours; `all`, or groups with `hosts` /
// `children` → an Ansible YAML inventory (see ansible.ts).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BadInputError } from '../util/errors.js';
import { ansibleToTree, looksLikeAnsible, ANSIBLE, ANSIBLE_SSH_CONFIG_VAR } from './ansible.js';
import { InventoryError, START, displayFile, type Problem } from './errors.js';
import { deepFreeze } from './freeze.js';
import { checkLocalFiles } from './localFiles.js';
import { SSH_CONFIG_DEFAULT, SSH_CONFIG_NONE } from './fields.js';
import { resolveLocalPath } from './localPath.js';
import { loadSshConfig, type SshConfigIO } from './sshConfig.js';
import type { SshContext } from './sshResolve.js';
import { get, parseYaml, type RNode } from './tree.js';
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
  /**
   * `--ssh-config FILE` (relative to cwd; `none` turns ssh_config off). loadInventory reads it,
   * else `defaults.sshConfig`, else ~/.ssh/config when it exists.
   */
  readonly sshConfigFile?: string;
  /** The loaded ssh_config to resolve hosts through; loadInventory fills it, pure callers may. */
  readonly ssh?: SshContext;
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
      problems.push({
        pos: START,
        path: '',
        message: 'expected a mapping with `cluster` and `nodes` (or an Ansible inventory), found an empty file',
      });
    return { inventory: undefined, problems, localFiles: [], format: undefined };
  }
  if (looksLikeAnsible(root)) {
    const conv = ansibleToTree(root, abs);
    if (!conv.tree)
      return { inventory: undefined, problems: [...yamlProblems, ...conv.problems], localFiles: [], format: 'ansible' };
    const a = validateTree(conv.tree, {
      file: abs,
      home: env.home,
      dialect: ANSIBLE,
      defaultUser: env.user,
      ssh: env.ssh,
    });
    // A Jinja value is reported by the adapter; its "expected an absolute path" echo is noise.
    const problems = firstPerPlace([...yamlProblems, ...conv.problems, ...a.problems]);
    return { ...a, inventory: problems.length ? undefined : a.inventory, problems, format: 'ansible' };
  }
  const a = validateTree(root, { file: abs, home: env.home, dialect: NATIVE, defaultUser: env.user, ssh: env.ssh });
  const problems = [...yamlProblems, ...a.problems];
  return { ...a, inventory: problems.length ? undefined : a.inventory, problems, format: 'native' };
}

/** The ssh_config setting written in the inventory: `defaults.sshConfig`, or Ansible's all.vars. */
function writtenSshConfig(root: RNode | undefined): RNode | undefined {
  if (!root || root.kind !== 'map') return undefined;
  if (looksLikeAnsible(root)) {
    const all = get(root, 'all')?.value;
    const vars = all?.kind === 'map' ? get(all, 'vars')?.value : undefined;
    return vars?.kind === 'map' ? get(vars, ANSIBLE_SSH_CONFIG_VAR)?.value : undefined;
  }
  const d = get(root, 'defaults')?.value;
  return d?.kind === 'map' ? get(d, 'sshConfig')?.value : undefined;
}

/** The real file system for ssh_config and its Includes (glob(3)-like: `*`, `?` per path part). */
export function fsSshConfigIO(home: string): SshConfigIO {
  return {
    home,
    read: (f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    glob: (pattern) => globFiles(pattern),
  };
}

function globFiles(pattern: string): string[] {
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let paths = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    for (const dir of paths) {
      if (!/[*?[]/.test(part)) {
        next.push(path.join(dir, part));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        continue;
      }
      const re = new RegExp(
        `^${part
          .replace(/[\\^$.|+(){}]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      for (const n of names) if (!n.startsWith('.') && re.test(n)) next.push(path.join(dir, n));
    }
    paths = next;
  }
  return paths.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * Which ssh_config applies (flag, then the inventory, then ~/.ssh/config) and loads it; every
 * problem is returned positioned in the inventory. undefined context: none applies.
 */
export function chooseSshConfig(
  root: RNode | undefined,
  abs: string,
  env: InventoryEnv,
  localUserName: string | undefined,
): { ssh: SshContext | undefined; problems: Problem[] } {
  const problems: Problem[] = [];
  let file: string | undefined;
  let at = START;
  let where = '';
  const written = writtenSshConfig(root);
  if (env.sshConfigFile !== undefined) {
    if (env.sshConfigFile === SSH_CONFIG_NONE) return { ssh: undefined, problems };
    const r = resolveLocalPath(env.sshConfigFile, env.home, env.cwd);
    if (!r.ok) throw new BadInputError(`--ssh-config: ${r.message}`);
    if (!existsSync(r.path))
      throw new BadInputError(`--ssh-config ${env.sshConfigFile}: no such file`, {
        hint: 'pass an OpenSSH client config file, or --ssh-config none',
      });
    file = r.path;
  } else if (written) {
    if (written.kind !== 'scalar' || typeof written.value !== 'string' || written.value.trim() === '') {
      problems.push({
        pos: written.pos,
        path: written.path,
        message: `expected an ssh_config file path or "none", found ${written.kind === 'scalar' ? JSON.stringify(written.value) : 'a ' + written.kind}`,
      });
      return { ssh: undefined, problems };
    }
    if (written.value === SSH_CONFIG_NONE) return { ssh: undefined, problems };
    const r = resolveLocalPath(written.value, env.home, path.dirname(abs));
    if (!r.ok || !existsSync(r.path)) {
      problems.push({
        pos: written.pos,
        path: written.path,
        message: r.ok
          ? `expected an OpenSSH client config file, found "${written.value}" which does not exist (or write "none")`
          : r.message,
      });
      return { ssh: undefined, problems };
    }
    file = r.path;
    at = written.pos;
    where = written.path;
  } else {
    const r = resolveLocalPath(SSH_CONFIG_DEFAULT, env.home, env.cwd);
    if (!r.ok || !existsSync(r.path)) return { ssh: undefined, problems };
    file = r.path;
  }
  const config = loadSshConfig(file, fsSshConfigIO(env.home));
  for (const p of config.problems)
    problems.push({ pos: at, path: where, message: `ssh_config ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}` });
  return {
    ssh: {
      config,
      home: env.home,
      localUser: localUserName ?? 'root',
      localHost: os.hostname(),
      cwd: env.cwd,
      exists: (f) => {
        try {
          return statSync(f).isFile();
        } catch {
          return false;
        }
      },
    },
    problems,
  };
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
    throw new BadInputError(
      `cannot read inventory ${shown}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e))}`,
      {
        hint: 'pass the inventory YAML file with -i (see inventories/example.yaml)',
        cause: e,
      },
    );
  }
  const a = await analyzeWithFiles(text, abs, env);
  if (!a.inventory || a.problems.length) throw new InventoryError(shown, a.problems);
  return deepFreeze(a.inventory);
}

/** analyzeInventory with the I/O around it: the ssh_config chosen and loaded, local files checked. */
export async function analyzeWithFiles(
  text: string,
  abs: string,
  env: InventoryEnv,
): Promise<FullAnalysis & { sshConfigFile: string | undefined }> {
  const chosen = env.ssh
    ? { ssh: env.ssh, problems: [] }
    : chooseSshConfig(parseYaml(text).root, abs, env, env.user ?? localUser());
  const a = analyzeInventory(text, abs, { ...env, ssh: chosen.ssh });
  const fileProblems = await checkLocalFiles(a.localFiles);
  const problems = [...chosen.problems, ...a.problems, ...fileProblems];
  // Ansible also reads group_vars/ and host_vars/ beside the inventory; we read only the file, so
  // such a directory would make us resolve the hosts differently: refuse instead.
  if (a.format === 'ansible')
    for (const d of ['group_vars', 'host_vars']) {
      const dir = path.join(path.dirname(abs), d);
      if (existsSync(dir))
        problems.push({
          pos: START,
          path: '',
          message: `Ansible would also read ${dir}/, which emqx-rollout does not; move those variables into the inventory file (or keep the inventory in a directory without ${d}/)`,
        });
    }
  return {
    ...a,
    inventory: problems.length ? undefined : a.inventory,
    problems,
    sshConfigFile: chosen.ssh?.config.file,
  };
}

/** Reads the file and analyzes it (for `emqx-rollout inventory`): the analysis with its sources. */
export async function explainInventory(
  file: string,
  given: InventoryEnv,
): Promise<FullAnalysis & { shown: string; sshConfigFile: string | undefined }> {
  const env: InventoryEnv = { ...given, user: given.user ?? localUser() };
  const abs = path.resolve(env.cwd, file);
  const shown = displayFile(file, env.cwd);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInputError(
      `cannot read inventory ${shown}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`,
      { cause: e },
    );
  }
  return { ...(await analyzeWithFiles(text, abs, env)), shown };
}
