// Typed reads of RNodes that record a positioned problem instead of throwing, so that one pass
// reports every problem in the file.
import type { Pos, Problem } from './errors.js';
import { unknownKeyMessage } from './suggest.js';
import { describe, type REntry, type RMap, type RNode } from './tree.js';

export class Problems {
  readonly list: Problem[] = [];
  at(pos: Pos, path: string, message: string): void {
    this.list.push({ pos, path, message });
  }
  on(node: RNode, message: string): void {
    this.at(node.pos, node.path, message);
  }
}

export function readMap(n: RNode, ps: Problems, what = 'a mapping'): RMap | undefined {
  if (n.kind === 'map') return n;
  ps.on(n, `expected ${what}, found ${describe(n)}`);
  return undefined;
}

/** Reports keys outside `known`, with a suggestion. */
export function checkKeys(m: RMap, known: readonly string[], ps: Problems, keyPath: (e: REntry) => string): void {
  for (const e of m.entries) if (!known.includes(e.key)) ps.at(e.keyPos, keyPath(e), unknownKeyMessage(e.key, known));
}

/**
 * A non-empty YAML string. A number or boolean is a problem, not silently stringified: `command: 42`
 * or `cluster: 1.10` (which YAML reads as 1.1) is almost always a mistake, and quoting says what is meant.
 */
export function readString(n: RNode, ps: Problems, what = 'a string'): string | undefined {
  if (n.kind === 'scalar' && typeof n.value === 'string' && n.value.trim() !== '') return n.value;
  if (n.kind === 'scalar' && (typeof n.value === 'number' || typeof n.value === 'boolean')) {
    const kind = typeof n.value === 'number' ? 'a number' : 'a boolean';
    ps.on(
      n,
      `expected a string, found ${describe(n)} (${kind}; quote it if you mean the text ${JSON.stringify(n.text)})`,
    );
    return undefined;
  }
  ps.on(n, `expected ${what}, found ${n.kind === 'scalar' && n.value === '' ? '""' : describe(n)}`);
  return undefined;
}

/** An integer in [min, max]; all-digit strings ("2222", common in Ansible vars) are accepted. */
export function readInt(n: RNode, ps: Problems, min: number, max: number): number | undefined {
  let v: number | undefined;
  if (n.kind === 'scalar') {
    if (typeof n.value === 'number' && Number.isInteger(n.value)) v = n.value;
    else if (typeof n.value === 'string' && /^\d+$/.test(n.value.trim())) v = Number(n.value.trim());
  }
  if (v !== undefined && v >= min && v <= max) return v;
  ps.on(n, `expected an integer ${min}–${max}, found ${describe(n)}`);
  return undefined;
}

/** A finite number accepted by `ok`; `expected` describes the range in words. */
export function readNumber(n: RNode, ps: Problems, ok: (v: number) => boolean, expected: string): number | undefined {
  let v: number | undefined;
  if (n.kind === 'scalar') {
    if (typeof n.value === 'number') v = n.value;
    else if (typeof n.value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(n.value)) v = Number(n.value);
  }
  if (v !== undefined && Number.isFinite(v) && ok(v)) return v;
  ps.on(n, `expected ${expected}, found ${describe(n)}`);
  return undefined;
}

export function readStringList(n: RNode, ps: Problems, what: string): string[] | undefined {
  if (n.kind === 'scalar' && n.value === null) return [];
  if (n.kind !== 'seq') {
    ps.on(n, `expected a list of ${what}, found ${describe(n)}`);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (const it of n.items) {
    const s = readString(it, ps, what.replace(/s$/, ''));
    if (s === undefined) ok = false;
    else out.push(s);
  }
  return ok ? out : undefined;
}
