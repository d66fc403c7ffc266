// Erlang terms and the two printers a real node's CLI uses on them: `~p` (io_lib_pretty, line
// length 80, starting at the column where the format put it) and `~0p`/`io_lib:write` (one line).
// The layout algorithm is a transcription of OTP's io_lib_pretty (print_length → pp / cind), so the
// simulator's `upgrade failed, reason: #{…}` wraps exactly like a real node's (facts §1.5).

export type ETerm =
  | { readonly t: 'atom'; readonly v: string }
  | { readonly t: 'str'; readonly v: string } // an Erlang string (list of chars), printed "…"
  | { readonly t: 'bin'; readonly v: string } // a binary, printed <<"…">>
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'list'; readonly v: readonly ETerm[] }
  | { readonly t: 'tuple'; readonly v: readonly ETerm[] }
  | { readonly t: 'map'; readonly v: ReadonlyArray<readonly [ETerm, ETerm]> };

export const atom = (v: string): ETerm => ({ t: 'atom', v });
export const str = (v: string): ETerm => ({ t: 'str', v });
export const bin = (v: string): ETerm => ({ t: 'bin', v });
export const int = (v: number): ETerm => ({ t: 'int', v });
export const list = (v: readonly ETerm[]): ETerm => ({ t: 'list', v });
export const tuple = (v: readonly ETerm[]): ETerm => ({ t: 'tuple', v });
/** A map with atom keys (the usual error map). */
export const amap = (o: Record<string, ETerm>): ETerm => ({
  t: 'map',
  v: Object.entries(o).map(([k, v]) => [atom(k), v] as const),
});
/** A map with string keys (BUILD_INFO as read by the relup plugin). */
export const smap = (o: Record<string, ETerm>): ETerm => ({
  t: 'map',
  v: Object.entries(o).map(([k, v]) => [str(k), v] as const),
});

// ---------------------------------------------------------------------------------------------
// Term order (small maps print their keys in term order): number < atom < tuple < map < list < binary.
const RANK: Record<ETerm['t'], number> = { int: 0, atom: 1, tuple: 2, map: 3, str: 4, list: 4, bin: 5 };

function charsOf(t: ETerm): number[] | null {
  if (t.t === 'str') return [...t.v].map((c) => c.codePointAt(0)!);
  if (t.t === 'list') return null;
  return null;
}

export function compareTerms(a: ETerm, b: ETerm): number {
  const ra = RANK[a.t];
  const rb = RANK[b.t];
  if (ra !== rb) return ra - rb;
  switch (a.t) {
    case 'int':
      return a.v - (b as typeof a).v;
    case 'atom':
    case 'bin':
      return cmpStr(a.v, (b as typeof a).v);
    case 'tuple': {
      const bv = (b as typeof a).v;
      if (a.v.length !== bv.length) return a.v.length - bv.length;
      return cmpSeq(a.v, bv);
    }
    case 'map':
      return a.v.length - (b as typeof a).v.length;
    default: {
      const ca = charsOf(a);
      const cb = charsOf(b);
      if (ca && cb) return cmpSeq(ca.map(int), cb.map(int));
      return cmpSeq(
        a.t === 'list' ? a.v : [...a.v].map((c) => int(c.codePointAt(0)!)),
        b.t === 'list' ? b.v : [...(b as { v: string }).v].map((c) => int(c.codePointAt(0)!)),
      );
    }
  }
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpSeq(a: readonly ETerm[], b: readonly ETerm[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareTerms(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function sortedPairs(m: ReadonlyArray<readonly [ETerm, ETerm]>): Array<readonly [ETerm, ETerm]> {
  return [...m].sort((x, y) => compareTerms(x[0], y[0]));
}

// ---------------------------------------------------------------------------------------------
// Flat writing (io_lib:write / ~0p)

const RESERVED = new Set([
  'after',
  'and',
  'andalso',
  'band',
  'begin',
  'bnot',
  'bor',
  'bsl',
  'bsr',
  'bxor',
  'case',
  'catch',
  'cond',
  'div',
  'end',
  'fun',
  'if',
  'let',
  'maybe',
  'not',
  'of',
  'or',
  'orelse',
  'receive',
  'rem',
  'try',
  'when',
  'xor',
  'else',
]);

export function writeAtom(a: string): string {
  if (/^[a-z][a-zA-Z0-9_@]*$/.test(a) && !RESERVED.has(a)) return a;
  return `'${escapeChars(a, "'")}'`;
}

function escapeChars(s: string, q: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === q) out += `\\${q}`;
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\x1b') out += '\\e';
    else out += ch;
  }
  return out;
}

export function writeString(s: string): string {
  return `"${escapeChars(s, '"')}"`;
}

/** `~0p` / io_lib:write: one line, `,` between elements, ` => ` in map pairs. */
export function writeTerm(t: ETerm): string {
  switch (t.t) {
    case 'atom':
      return writeAtom(t.v);
    case 'str':
      return t.v.length === 0 ? '[]' : writeString(t.v);
    case 'bin':
      return t.v.length === 0 ? '<<>>' : `<<${writeString(t.v)}>>`;
    case 'int':
      return String(t.v);
    case 'list':
      return `[${t.v.map(writeTerm).join(',')}]`;
    case 'tuple':
      return `{${t.v.map(writeTerm).join(',')}}`;
    case 'map':
      return `#{${sortedPairs(t.v)
        .map(([k, v]) => `${writeTerm(k)} => ${writeTerm(v)}`)
        .join(',')}}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Pretty printing (io_lib_pretty:print/… as used by ~p). Intermediate form mirrors OTP's:
// a node is either flat text (`s`, "atomic" in OTP's ?ATM sense) or a structure with its length.

type If =
  | { k: 'flat'; s: string; len: number }
  | { k: 'list'; els: If[]; len: number }
  | { k: 'tuple'; tagged: boolean; els: If[]; len: number }
  | { k: 'map'; pairs: Pair[]; len: number };
interface Pair {
  k: If;
  v: If;
  len: number;
}

function listLength(lens: number[], acc: number): number {
  if (lens.length === 0) return acc;
  return acc + lens.reduce((a, b) => a + b, 0) + (lens.length - 1);
}

function printLength(t: ETerm): If {
  switch (t.t) {
    case 'list': {
      if (t.v.length === 0) return flat('[]');
      const els = t.v.map(printLength);
      return {
        k: 'list',
        els,
        len: listLength(
          els.map((e) => e.len),
          2,
        ),
      };
    }
    case 'tuple': {
      if (t.v.length === 0) return flat('{}');
      const els = t.v.map(printLength);
      return {
        k: 'tuple',
        tagged: t.v[0].t === 'atom' && t.v.length > 1,
        els,
        len: listLength(
          els.map((e) => e.len),
          2,
        ),
      };
    }
    case 'map': {
      if (t.v.length === 0) return flat('#{}');
      const pairs = sortedPairs(t.v).map(([k, v]): Pair => {
        const kk = printLength(k);
        const vv = printLength(v);
        const kl = kk.len + 4; // " => "
        return { k: { ...kk, len: kl }, v: vv, len: kl + vv.len };
      });
      return {
        k: 'map',
        pairs,
        len: listLength(
          pairs.map((p) => p.len),
          3,
        ),
      };
    }
    default:
      return flat(writeTerm(t));
  }
}

function flat(s: string): If {
  return { k: 'flat', s, len: s.length };
}

const isAtm = (e: If): boolean => e.k === 'flat';
const isAtmPair = (p: Pair): boolean => isAtm(p.k) && isAtm(p.v);

function write(e: If): string {
  switch (e.k) {
    case 'flat':
      return e.s;
    case 'list':
      return `[${e.els.map(write).join(',')}]`;
    case 'tuple':
      return `{${e.els.map(write).join(',')}}`;
    case 'map':
      return `#{${e.pairs.map(writePair).join(',')}}`;
  }
}

function writePair(p: Pair): string {
  // the key's length includes " => " but its text does not
  return `${write(p.k)} => ${write(p.v)}`;
}

const spaces = (n: number): string => ' '.repeat(Math.max(0, n));

class NoGood extends Error {}

/**
 * `io_lib:format("~p", [T])` placed at 1-based column `col` (i.e. after col-1 characters of the
 * line), line length 80, unlimited depth.
 */
export function prettyTerm(t: ETerm, col = 1, ll = 80): string {
  if (col <= 0) col = 1;
  const e = printLength(t);
  if (e.k === 'flat') return e.s;
  const m = e.len; // max_chars -1 → the term's own length
  if (e.len < ll - col && e.len <= m) return write(e);
  let tind = 1;
  for (const i of [-1, 4]) {
    try {
      cind(e, col, ll, m, i, 0, 0);
      tind = i;
      break;
    } catch (err) {
      if (!(err instanceof NoGood)) throw err;
    }
  }
  return pp(e, col, ll, m, tind, spaces(col - 1), 0, 0);
}

function pp(e: If, col: number, ll: number, m: number, tind: number, ind: string, ld: number, w: number): string {
  if (e.len < ll - col - ld && e.len + w + ld <= m) return write(e);
  switch (e.k) {
    case 'list':
      return `[${ppList(e.els, col + 1, ll, m, tind, ind + ' ', ld, w + 1)}]`;
    case 'tuple':
      if (e.tagged) return `{${ppTagTuple(e.els, col, ll, m, tind, ind, ld, w + 1)}}`;
      return `{${ppList(e.els, col + 1, ll, m, tind, ind + ' ', ld, w + 1)}}`;
    case 'map':
      return `#{${ppMap(e.pairs, col + 2, ll, m, tind, ind + '  ', ld, w + 1)}}`;
    case 'flat':
      return e.s;
  }
}

function lastDepth(rest: unknown[], ld: number): number {
  return rest.length > 0 ? 0 : ld + 1;
}

function ppTagTuple(
  els: If[],
  col: number,
  ll: number,
  m: number,
  tind: number,
  ind: string,
  ld: number,
  w: number,
): string {
  const [tag, ...l] = els;
  const tagInd = tag.len + 2;
  const tcol = col + tagInd;
  if (tind > 0 && tagInd > tind) {
    const col1 = col + tind;
    const indent = ind + spaces(tind);
    return write(tag) + ppTail(l, col1, tcol, ll, m, tind, indent, ld, w + tag.len);
  }
  const indent = ind + spaces(tagInd);
  return `${write(tag)},${ppList(l, tcol, ll, m, tind, indent, ld, w + tag.len + 1)}`;
}

function ppMap(
  ps: Pair[],
  col: number,
  ll: number,
  m: number,
  tind: number,
  ind: string,
  ld: number,
  w: number,
): string {
  if (ps.length === 0) return '';
  const [p, ...rest] = ps;
  const [s, pw] = ppPair(p, col, ll, m, tind, ind, lastDepth(rest, ld), w);
  return s + ppPairsTail(rest, col, col + pw, ll, m, tind, ind, ld, pw);
}

function ppPairsTail(
  ps: Pair[],
  col0: number,
  col: number,
  ll: number,
  m: number,
  tind: number,
  ind: string,
  ld: number,
  w: number,
): string {
  if (ps.length === 0) return '';
  const [p, ...rest] = ps;
  const ld1 = lastDepth(rest, ld);
  const elen = 1 + p.len;
  if (
    (ld1 === 0 && elen + 1 < ll - col && w + elen + 1 <= m && isAtmPair(p)) ||
    (ld1 > 0 && elen < ll - col - ld1 && w + elen + ld1 <= m && isAtmPair(p))
  ) {
    return `,${writePair(p)}${ppPairsTail(rest, col0, col + elen, ll, m, tind, ind, ld, w + elen)}`;
  }
  const [s, pw] = ppPair(p, col0, ll, m, tind, ind, ld1, 0);
  return `,\n${ind}${s}${ppPairsTail(rest, col0, col0 + pw, ll, m, tind, ind, ld, pw)}`;
}

function ppPair(
  p: Pair,
  col: number,
  ll: number,
  m: number,
  tind: number,
  ind0: string,
  ld: number,
  w: number,
): [string, number] {
  if (p.len < ll - col - ld && p.len + w + ld <= m) return [writePair(p), isAtmPair(p) ? p.len : ll];
  const i = tind > 0 ? tind : 4;
  const ind = ind0 + spaces(i);
  return [`${pp(p.k, col, ll, m, tind, ind0, ld, w)} =>\n${ind}${pp(p.v, col + i, ll, m, tind, ind, ld, 0)}`, ll];
}

function ppList(
  els: If[],
  col0: number,
  ll: number,
  m: number,
  tind: number,
  ind: string,
  ld: number,
  w: number,
): string {
  const [e, ...rest] = els;
  const [s, we] = ppElement(e, col0, ll, m, tind, ind, lastDepth(rest, ld), w);
  return s + ppTail(rest, col0, col0 + we, ll, m, tind, ind, ld, w + we);
}

function ppTail(
  els: If[],
  col0: number,
  col: number,
  ll: number,
  m: number,
  tind: number,
  ind: string,
  ld: number,
  w: number,
): string {
  if (els.length === 0) return '';
  const [e, ...rest] = els;
  const ld1 = lastDepth(rest, ld);
  const elen = 1 + e.len;
  if (
    (ld1 === 0 && elen + 1 < ll - col && w + elen + 1 <= m && isAtm(e)) ||
    (ld1 > 0 && elen < ll - col - ld1 && w + elen + ld1 <= m && isAtm(e))
  ) {
    return `,${write(e)}${ppTail(rest, col0, col + elen, ll, m, tind, ind, ld, w + elen)}`;
  }
  const [s, we] = ppElement(e, col0, ll, m, tind, ind, ld1, 0);
  return `,\n${ind}${s}${ppTail(rest, col0, col0 + we, ll, m, tind, ind, ld, we)}`;
}

function ppElement(
  e: If,
  col: number,
  ll: number,
  m: number,
  tind: number,
  ind: string,
  ld: number,
  w: number,
): [string, number] {
  if (e.len < ll - col - ld && e.len + w + ld <= m && isAtm(e)) return [write(e), e.len];
  return [pp(e, col, ll, m, tind, ind, ld, w), ll];
}

// cind: decides the tag indentation; throws NoGood when indentation would exceed half the line.
function cind(e: If, col: number, ll: number, m: number, ind: number, ld: number, w: number): number {
  if (e.len < ll - col - ld && e.len + w + ld <= m) return ind;
  switch (e.k) {
    case 'list':
      return cindList(e.els, col + 1, ll, m, ind, ld, w + 1);
    case 'tuple':
      return e.tagged
        ? cindTagTuple(e.els, col, ll, m, ind, ld, w + 1)
        : cindList(e.els, col + 1, ll, m, ind, ld, w + 1);
    case 'map':
      return cindMap(e.pairs, col + 2, ll, m, ind, ld, w + 2);
    default:
      return ind;
  }
}

function cindTagTuple(els: If[], col: number, ll: number, m: number, ind: number, ld: number, w: number): number {
  const [tag, ...l] = els;
  const tagInd = tag.len + 2;
  const tcol = col + tagInd;
  if (ind > 0 && tagInd > ind) {
    const col1 = col + ind;
    if (m + col1 <= ll || col1 <= Math.floor(ll / 2)) return cindTail(l, col1, tcol, ll, m, ind, ld, w + tag.len);
    throw new NoGood();
  }
  if (m + tcol < ll || tcol < Math.floor(ll / 2)) return cindList(l, tcol, ll, m, ind, ld, w + tag.len + 1);
  throw new NoGood();
}

function cindMap(ps: Pair[], col: number, ll: number, m: number, ind: number, ld: number, w: number): number {
  if (ps.length === 0) return ind;
  const [p, ...rest] = ps;
  const pw = cindPair(p, col, ll, m, ind, lastDepth(rest, ld), w);
  return cindPairsTail(rest, col, col + pw, ll, m, ind, ld, w + pw);
}

function cindPairsTail(
  ps: Pair[],
  col0: number,
  col: number,
  ll: number,
  m: number,
  ind: number,
  ld: number,
  w: number,
): number {
  if (ps.length === 0) return ind;
  const [p, ...rest] = ps;
  const ld1 = lastDepth(rest, ld);
  const elen = 1 + p.len;
  if (
    (ld1 === 0 && elen + 1 < ll - col && w + elen + 1 <= m && isAtmPair(p)) ||
    (ld1 > 0 && elen < ll - col - ld1 && w + elen + ld1 <= m && isAtmPair(p))
  ) {
    return cindPairsTail(rest, col0, col + elen, ll, m, ind, ld, w + elen);
  }
  const pw = cindPair(p, col0, ll, m, ind, ld1, 0);
  return cindPairsTail(rest, col0, col0 + pw, ll, m, ind, ld, pw);
}

function cindPair(p: Pair, col: number, ll: number, m: number, ind: number, ld: number, w: number): number {
  if (p.len < ll - col - ld && p.len + w + ld <= m) return isAtmPair(p) ? p.len : ll;
  cind(p.k, col, ll, m, ind, ld, w);
  const i = ind > 0 ? ind : 4;
  cind(p.v, col + i, ll, m, ind, ld, 0);
  return ll;
}

function cindList(els: If[], col0: number, ll: number, m: number, ind: number, ld: number, w: number): number {
  const [e, ...rest] = els;
  const we = cindElement(e, col0, ll, m, ind, lastDepth(rest, ld), w);
  return cindTail(rest, col0, col0 + we, ll, m, ind, ld, w + we);
}

function cindTail(
  els: If[],
  col0: number,
  col: number,
  ll: number,
  m: number,
  ind: number,
  ld: number,
  w: number,
): number {
  if (els.length === 0) return ind;
  const [e, ...rest] = els;
  const ld1 = lastDepth(rest, ld);
  const elen = 1 + e.len;
  if (
    (ld1 === 0 && elen + 1 < ll - col && w + elen + 1 <= m && isAtm(e)) ||
    (ld1 > 0 && elen < ll - col - ld1 && w + elen + ld1 <= m && isAtm(e))
  ) {
    return cindTail(rest, col0, col + elen, ll, m, ind, ld, w + elen);
  }
  const we = cindElement(e, col0, ll, m, ind, ld1, 0);
  return cindTail(rest, col0, col0 + we, ll, m, ind, ld, we);
}

function cindElement(e: If, col: number, ll: number, m: number, ind: number, ld: number, w: number): number {
  if (e.len < ll - col - ld && e.len + w + ld <= m && isAtm(e)) return e.len;
  cind(e, col, ll, m, ind, ld, w);
  return ll;
}
