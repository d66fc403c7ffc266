// `emqx ctl cluster status` in both forms (facts §3):
//   Cluster status: #{running_nodes => ['a@h',…],stopped_nodes => […]}   (~p, wrapped at 80 cols)
//   --json: jiffy pretty, keys descending, `[` + a line of spaces + `]` for an empty array.

import { atomName, mapGet, parseWholeTerm, type ErlTerm } from '../erlangTerm.js';
import type { ClusterStatus } from '../types.js';
import { detectDown, normalize, unrecognised } from './common.js';

const PREFIX = 'Cluster status: ';

export function parseClusterStatus(stdout: string, stderr = '', exitCode: number | null = 0): ClusterStatus {
  const down = detectDown(stdout, stderr, exitCode);
  if (down) return down;
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  const text = normalize(stdout).trim();
  if (text.startsWith(PREFIX)) return fromTerm(stdout, text.slice(PREFIX.length));
  if (text.startsWith('{')) return fromJson(stdout, text);
  return unrecognised(stdout);
}

function atomList(t: ErlTerm | undefined): string[] | null {
  if (!t || t.type !== 'list' || t.tail) return null;
  const out: string[] = [];
  for (const item of t.items) {
    const name = atomName(item);
    if (name === undefined) return null;
    out.push(name);
  }
  return out;
}

function fromTerm(raw: string, termText: string): ClusterStatus {
  const r = parseWholeTerm(termText);
  if (!r.ok || r.term.type !== 'map') return unrecognised(raw);
  const running = atomList(mapGet(r.term, 'running_nodes'));
  const stopped = atomList(mapGet(r.term, 'stopped_nodes'));
  if (!running || !stopped) return unrecognised(raw);
  return { kind: 'cluster', running, stopped };
}

function stringList(v: unknown): string[] | null {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return null;
  return v;
}

function fromJson(raw: string, text: string): ClusterStatus {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return unrecognised(raw);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return unrecognised(raw);
  const o = v as Record<string, unknown>;
  const running = stringList(o.running_nodes);
  const stopped = stringList(o.stopped_nodes);
  if (!running || !stopped) return unrecognised(raw);
  return { kind: 'cluster', running, stopped };
}
