// YAML text → a small positioned tree (RNode) that validation walks. Every node knows its own
// position and its field path, so a problem can be reported where it was written — also when the
// tree was synthesised from an Ansible inventory (ansible.ts), whose paths differ from ours.
import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node as YNode,
} from 'yaml';
import type { Pos, Problem } from './errors.js';
import { START } from './errors.js';

export interface RMap {
  readonly kind: 'map';
  readonly pos: Pos;
  readonly path: string;
  readonly entries: readonly REntry[];
}
export interface RSeq {
  readonly kind: 'seq';
  readonly pos: Pos;
  readonly path: string;
  readonly items: readonly RNode[];
}
export interface RScalar {
  readonly kind: 'scalar';
  readonly pos: Pos;
  readonly path: string;
  /** As YAML's core schema resolved it: string, number, boolean or null. */
  readonly value: unknown;
  /** The text as written, for plain scalars (so `1.10` stays "1.10", not 1.1). */
  readonly text: string;
  /** Set when nobody wrote it: how the Ansible adapter derived it (shown by `inventory`). */
  readonly derived?: string;
}
export type RNode = RMap | RSeq | RScalar;

export interface REntry {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: RNode;
}

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

export function get(map: RMap, key: string): REntry | undefined {
  // First occurrence: a duplicate key is already a YAML problem of its own.
  return map.entries.find((e) => e.key === key);
}

export interface ParsedYaml {
  /** undefined when the file is empty or YAML syntax errors make the structure meaningless. */
  readonly root: RNode | undefined;
  readonly problems: readonly Problem[];
}

/** First line of a yaml error without its " at line X, column Y:" tail (we print the position). */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

export function parseYaml(text: string): ParsedYaml {
  const lc = new LineCounter();
  // uniqueKeys (default) turns a duplicate key into a DUPLICATE_KEY error with its position.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true });
  const pos = (offset: number): Pos => {
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const problems: Problem[] = doc.errors.map((e) => {
    const at = e.linePos?.[0] ? { line: e.linePos[0].line, col: e.linePos[0].col } : pos(e.pos[0]);
    if (e.code === 'DUPLICATE_KEY') {
      const key =
        text
          .slice(e.pos[0])
          .match(/^["']?([^"':\n]*)/)?.[1]
          ?.trim() ?? '';
      return { pos: at, path: '', message: `duplicate key "${key}": each key may appear only once in a mapping` };
    }
    return { pos: at, path: '', message: `YAML syntax error: ${yamlMessage(e.message)}` };
  });
  // A duplicate key leaves a well-formed tree, so keep validating and report everything at once;
  // after a real syntax error the tree is guesswork and would only add noise.
  const syntaxBroken = doc.errors.some((e) => e.code !== 'DUPLICATE_KEY');
  if (syntaxBroken || doc.contents === null) return { root: undefined, problems };
  return { root: convert(doc, doc.contents, '', text, pos, 0), problems };
}

function convert(
  doc: Document,
  node: YNode,
  path: string,
  text: string,
  pos: (o: number) => Pos,
  depth: number,
): RNode {
  // Aliases (`*defaults`) are resolved to their anchor; the depth bound stops alias cycles.
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target && depth < 50) return convert(doc, target, path, text, pos, depth + 1);
    return { kind: 'scalar', pos: pos(node.range?.[0] ?? 0), path, value: null, text: '' };
  }
  const at = node.range ? pos(node.range[0]) : START;
  if (isMap(node)) {
    const entries: REntry[] = [];
    const merges: RNode[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = pair.key as YNode | null;
      const keyText = k && isScalar(k) ? String(k.value) : k ? text.slice(k.range?.[0] ?? 0, k.range?.[1] ?? 0) : '';
      const keyPos = k?.range ? pos(k.range[0]) : at;
      const vNode = pair.value as YNode | null;
      const value: RNode = vNode
        ? convert(doc, vNode, childPath(path, keyText), text, pos, depth)
        : { kind: 'scalar', pos: keyPos, path: childPath(path, keyText), value: null, text: '' };
      // YAML merge key `<<: *base` — the usual way to share settings; its keys yield to local ones.
      if (keyText === '<<' && (value.kind === 'map' || value.kind === 'seq')) {
        merges.push(value);
        continue;
      }
      entries.push({ key: keyText, keyPos, value });
    }
    for (const m of merges) {
      const maps = m.kind === 'map' ? [m] : m.kind === 'seq' ? m.items.filter((i): i is RMap => i.kind === 'map') : [];
      for (const mm of maps) for (const e of mm.entries) if (!entries.some((x) => x.key === e.key)) entries.push(e);
    }
    return { kind: 'map', pos: at, path, entries };
  }
  if (isSeq(node)) {
    return {
      kind: 'seq',
      pos: at,
      path,
      items: node.items.map((it, i) =>
        it
          ? convert(doc, it as YNode, childPath(path, i), text, pos, depth)
          : { kind: 'scalar', pos: at, path: childPath(path, i), value: null, text: '' },
      ),
    };
  }
  if (isScalar(node)) {
    const src = node.range ? text.slice(node.range[0], node.range[1]) : String(node.value);
    const t = node.type === 'PLAIN' && node.value !== null ? src : typeof node.value === 'string' ? node.value : src;
    return { kind: 'scalar', pos: at, path, value: node.value, text: t };
  }
  return { kind: 'scalar', pos: at, path, value: null, text: '' };
}

/** How a node looks in "found …" text. */
export function describe(n: RNode | undefined): string {
  if (n === undefined) return 'nothing';
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return n.items.length === 0 ? 'an empty list' : 'a list';
  if (n.value === null) return 'nothing';
  if (typeof n.value === 'string') return JSON.stringify(n.value);
  return n.text || JSON.stringify(n.value);
}
