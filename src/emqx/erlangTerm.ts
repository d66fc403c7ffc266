// A small reader for Erlang terms as `io_lib:format("~p")` prints them: the reason maps of
// `relup upgrade` failures and `cluster status` (facts §1.5, §3). `~p` wraps at 80 columns and
// indents freely, and splits long strings into adjacent literals ("ab"\n "cd"), so whitespace
// between tokens is insignificant here and adjacent string literals are concatenated.
// Opaque terms (pids, refs, funs, ports) are kept as their text: a stacktrace may contain them.

export type ErlTerm =
  | { readonly type: 'atom'; readonly name: string }
  /** A `"…"` charlist. */
  | { readonly type: 'string'; readonly value: string }
  /** A `<<…>>` binary, decoded as UTF-8. */
  | { readonly type: 'binary'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'list'; readonly items: readonly ErlTerm[]; readonly tail?: ErlTerm }
  | { readonly type: 'tuple'; readonly items: readonly ErlTerm[] }
  | { readonly type: 'map'; readonly entries: readonly (readonly [ErlTerm, ErlTerm])[] }
  /** `<0.123.0>`, `#Ref<…>`, `#Fun<…>`, `#Port<…>`: kept verbatim. */
  | { readonly type: 'opaque'; readonly text: string };

export type ParseTermResult =
  | { readonly ok: true; readonly term: ErlTerm; /** index just after the term */ readonly end: number }
  | { readonly ok: false; readonly error: string; readonly at: number };

class TermSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/**
 * Parse one term starting at `from` (leading whitespace skipped). Text after the term is not
 * an error here; `parseWholeTerm` demands that only whitespace follows.
 */
export function parseTerm(text: string, from = 0): ParseTermResult {
  const reader = new Reader(text, from);
  try {
    const term = reader.term();
    return { ok: true, term, end: reader.pos };
  } catch (e) {
    if (e instanceof TermSyntaxError) return { ok: false, error: e.message, at: e.at };
    throw e;
  }
}

/** Parse `text` as exactly one term, optionally followed by a `.` and whitespace. */
export function parseWholeTerm(text: string): ParseTermResult {
  const r = parseTerm(text);
  if (!r.ok) return r;
  let i = r.end;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (text[i] === '.') i++;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (i !== text.length)
    return { ok: false, error: `unexpected text after the term: ${JSON.stringify(text.slice(i, i + 20))}`, at: i };
  return r;
}

const ATOM_START = /[a-z]/;
const ATOM_CHAR = /[A-Za-z0-9_@]/;

class Reader {
  pos: number;
  constructor(
    private readonly s: string,
    from: number,
  ) {
    this.pos = from;
  }

  private fail(msg: string): never {
    throw new TermSyntaxError(`${msg} at offset ${this.pos}`, this.pos);
  }

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  private peek(): string {
    return this.s[this.pos] ?? '';
  }

  private startsWith(tok: string): boolean {
    return this.s.startsWith(tok, this.pos);
  }

  private expect(tok: string): void {
    this.ws();
    if (!this.startsWith(tok)) this.fail(`expected ${JSON.stringify(tok)}`);
    this.pos += tok.length;
  }

  term(): ErlTerm {
    this.ws();
    const c = this.peek();
    if (c === '') this.fail('unexpected end of text');
    if (this.startsWith('#{')) return this.map();
    if (this.startsWith('#Ref<') || this.startsWith('#Fun<') || this.startsWith('#Port<')) return this.opaque();
    if (this.startsWith('<<')) return this.binary();
    if (c === '<') return this.opaque();
    if (c === '[') return this.list();
    if (c === '{') return this.tuple();
    if (c === '"') return { type: 'string', value: this.adjacentStrings() };
    if (c === "'") return { type: 'atom', name: this.quoted("'") };
    if (c === '-' || /[0-9]/.test(c)) return this.number();
    if (ATOM_START.test(c)) {
      const start = this.pos;
      while (this.pos < this.s.length && ATOM_CHAR.test(this.s[this.pos])) this.pos++;
      return { type: 'atom', name: this.s.slice(start, this.pos) };
    }
    return this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  /** `<0.1.0>` or `#Ref<0.1.2.3>` / `#Fun<…>` / `#Port<…>`: up to the first `>`. */
  private opaque(): ErlTerm {
    const start = this.pos;
    const close = this.s.indexOf('>', start);
    if (close < 0) this.fail('unterminated <…> term');
    this.pos = close + 1;
    return { type: 'opaque', text: this.s.slice(start, this.pos) };
  }

  private number(): ErlTerm {
    const m = /^-?\d+(?:\.\d+(?:[eE][+-]?\d+)?)?/.exec(this.s.slice(this.pos, this.pos + 64));
    if (!m) this.fail('malformed number');
    // `16#ff` style integers: ~p never prints them, so they are a syntax error here.
    this.pos += m[0].length;
    return { type: 'number', value: Number(m[0]) };
  }

  private seq(close: string): ErlTerm[] {
    const items: ErlTerm[] = [];
    this.ws();
    if (this.startsWith(close)) return items;
    for (;;) {
      items.push(this.term());
      this.ws();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      return items;
    }
  }

  private list(): ErlTerm {
    this.expect('[');
    const items = this.seq(']');
    this.ws();
    let tail: ErlTerm | undefined;
    if (this.peek() === '|') {
      this.pos++;
      tail = this.term();
    }
    this.expect(']');
    return tail === undefined ? { type: 'list', items } : { type: 'list', items, tail };
  }

  private tuple(): ErlTerm {
    this.expect('{');
    const items = this.seq('}');
    this.expect('}');
    return { type: 'tuple', items };
  }

  private map(): ErlTerm {
    this.expect('#{');
    const entries: (readonly [ErlTerm, ErlTerm])[] = [];
    this.ws();
    if (!this.startsWith('}')) {
      for (;;) {
        const k = this.term();
        this.ws();
        if (this.startsWith('=>')) this.pos += 2;
        else if (this.startsWith(':=')) this.pos += 2;
        else this.fail('expected "=>" in map');
        const v = this.term();
        entries.push([k, v]);
        this.ws();
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        break;
      }
    }
    this.expect('}');
    return { type: 'map', entries };
  }

  private binary(): ErlTerm {
    this.expect('<<');
    this.ws();
    const bytes: number[] = [];
    let text = '';
    let sawBytes = false;
    if (!this.startsWith('>>')) {
      for (;;) {
        this.ws();
        if (this.peek() === '"') {
          text += this.adjacentStrings();
          this.ws();
          // `~p` with unicode prints <<"é"/utf8>>; the text is already decoded characters.
          if (this.startsWith('/utf8')) this.pos += 5;
        } else if (/[0-9]/.test(this.peek())) {
          const m = /^\d+/.exec(this.s.slice(this.pos, this.pos + 8));
          if (!m) this.fail('malformed byte');
          const n = Number(m[0]);
          this.pos += m[0].length;
          if (this.startsWith(':')) {
            // bit-string tail like `1:3`: not a byte-aligned binary; keep the arithmetic out.
            this.fail('bit strings are not supported');
          }
          if (n > 255) this.fail('byte out of range');
          bytes.push(n);
          sawBytes = true;
        } else {
          this.fail('expected a string or a byte in a binary');
        }
        this.ws();
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        break;
      }
    }
    this.expect('>>');
    if (sawBytes && text === '') return { type: 'binary', value: Buffer.from(bytes).toString('utf8') };
    if (sawBytes) return { type: 'binary', value: text + Buffer.from(bytes).toString('utf8') };
    return { type: 'binary', value: text };
  }

  /** One or more adjacent `"…"` literals (io_lib_pretty splits long strings across lines). */
  private adjacentStrings(): string {
    let out = this.quoted('"');
    for (;;) {
      const save = this.pos;
      this.ws();
      if (this.peek() === '"') out += this.quoted('"');
      else {
        this.pos = save;
        return out;
      }
    }
  }

  /** A quoted string or atom with Erlang escapes. `pos` is at the opening quote. */
  private quoted(q: string): string {
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      if (this.pos >= this.s.length) this.fail(`unterminated ${q === '"' ? 'string' : 'quoted atom'}`);
      const c = this.s[this.pos++];
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.pos++] ?? '';
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'e':
          out += '\x1b';
          break;
        case 's':
          out += ' ';
          break;
        case 'd':
          out += '\x7f';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '^': {
          const ctl = this.s[this.pos++] ?? '';
          out += String.fromCharCode(ctl.charCodeAt(0) & 31);
          break;
        }
        case 'x': {
          const m = /^\{([0-9a-fA-F]+)\}|^([0-9a-fA-F]{2})/.exec(this.s.slice(this.pos, this.pos + 12));
          if (!m) this.fail('malformed \\x escape');
          this.pos += m[0].length;
          out += String.fromCodePoint(parseInt(m[1] ?? m[2], 16));
          break;
        }
        default:
          if (/[0-7]/.test(e)) {
            const m = /^[0-7]{0,2}/.exec(this.s.slice(this.pos, this.pos + 2));
            const digits = e + (m ? m[0] : '');
            this.pos += digits.length - 1;
            out += String.fromCharCode(parseInt(digits, 8));
          } else {
            // \" \' \\ and any other escaped character stand for themselves.
            out += e;
          }
      }
    }
  }
}

// ---- accessors -------------------------------------------------------------------------------

/** The value under atom key `key` of a map term, or undefined. */
export function mapGet(term: ErlTerm | null | undefined, key: string): ErlTerm | undefined {
  if (!term || term.type !== 'map') return undefined;
  for (const [k, v] of term.entries) {
    if (k.type === 'atom' && k.name === key) return v;
  }
  return undefined;
}

/** Atom name, or undefined when `t` is not an atom. */
export function atomName(t: ErlTerm | undefined): string | undefined {
  return t?.type === 'atom' ? t.name : undefined;
}

/** Text of a string or binary (or atom) term, else undefined. */
export function textOf(t: ErlTerm | undefined): string | undefined {
  if (!t) return undefined;
  if (t.type === 'string' || t.type === 'binary') return t.value;
  if (t.type === 'atom') return t.name;
  return undefined;
}

export type PlainValue = string | number | PlainValue[] | { [k: string]: PlainValue };

/**
 * A JSON-friendly rendering for journals and reports: atoms, strings and binaries become strings,
 * maps objects (keys rendered as text), lists and tuples arrays, opaque terms their text.
 */
export function toPlain(t: ErlTerm): PlainValue {
  switch (t.type) {
    case 'atom':
      return t.name;
    case 'string':
    case 'binary':
      return t.value;
    case 'number':
      return t.value;
    case 'opaque':
      return t.text;
    case 'list':
      return t.tail ? [...t.items.map(toPlain), toPlain(t.tail)] : t.items.map(toPlain);
    case 'tuple':
      return t.items.map(toPlain);
    case 'map': {
      const o: { [k: string]: PlainValue } = {};
      for (const [k, v] of t.entries) {
        const key = textOf(k) ?? (k.type === 'number' ? String(k.value) : JSON.stringify(toPlain(k)));
        o[key] = toPlain(v);
      }
      return o;
    }
  }
}
