// `emqx ctl relup logs` (facts §1.7). One row per attempt, oldest first:
//   started=<rfc3339> finished=<rfc3339|> <from> -> <target|> status=<finished|'in-progress'> result=<~0p>
// An unknown target leaves two spaces after `->`; result is `success`, `<<>>` (none yet) or
// `#{details => <<"…">>,err_type => x}` with the details binary holding escaped quotes.

import { atomName, mapGet, parseWholeTerm } from '../erlangTerm.js';
import type { RelupLogResult, RelupLogRow, RelupLogs } from '../types.js';
import { detectRelupCommon, lines, unrecognised } from './common.js';

const NONE = 'no upgrade history on this node';
const ROW = /^started=(\S+) finished=(\S*) (\S+) -> (\S*) status=(finished|'in-progress') result=(.*)$/;

export function parseRelupLogs(stdout: string, stderr = '', exitCode: number | null = 0): RelupLogs {
  const common = detectRelupCommon(stdout, stderr, exitCode);
  if (common) return common;
  if (exitCode !== 0) return unrecognised(stdout, stderr, exitCode);
  const ls = lines(stdout);
  if (ls.length === 1 && ls[0] === NONE) return { kind: 'logs', rows: [] };
  if (ls.length === 0) return unrecognised(stdout);
  const rows: RelupLogRow[] = [];
  for (const line of ls) {
    const m = ROW.exec(line);
    if (!m) return unrecognised(stdout);
    rows.push({
      started: m[1],
      finished: m[2] === '' ? null : m[2],
      from: m[3],
      target: m[4] === '' ? null : m[4],
      status: m[5] === 'finished' ? 'finished' : 'in-progress',
      result: parseLogResult(m[6]),
      line,
    });
  }
  return { kind: 'logs', rows };
}

export function parseLogResult(text: string): RelupLogResult {
  const t = text.trim();
  if (t === 'success') return { kind: 'success' };
  if (t === '<<>>') return { kind: 'none' };
  const r = parseWholeTerm(t);
  if (r.ok && r.term.type === 'map') {
    const errType = atomName(mapGet(r.term, 'err_type'));
    const details = mapGet(r.term, 'details');
    if (errType !== undefined && details !== undefined && details.type === 'binary') {
      return { kind: 'error', errType, details: details.value };
    }
  }
  return { kind: 'unrecognised', raw: text };
}
