import { describe, expect, it } from 'vitest';
import { mapGet, parseTerm, parseWholeTerm, toPlain, type ErlTerm } from '../../src/emqx/erlangTerm.js';

function ok(text: string): ErlTerm {
  const r = parseWholeTerm(text);
  if (!r.ok) throw new Error(`parse failed: ${r.error}`);
  return r.term;
}

describe('parseWholeTerm', () => {
  it.each<[string, unknown]>([
    ['foo', 'foo'],
    ["'in-progress'", 'in-progress'],
    ["'emqx@127.0.0.1'", 'emqx@127.0.0.1'],
    ["'it\\'s'", "it's"],
    ['"a\\"b\\\\c\\n"', 'a"b\\c\n'],
    ['"\\x{41}\\101\\t"', 'AA\t'],
    ['<<>>', ''],
    ['<<"abc">>', 'abc'],
    ['<<"é"/utf8>>', 'é'],
    ['<<104,105>>', 'hi'],
    ['42', 42],
    ['-7', -7],
    ['1.5e3', 1500],
    ['[]', []],
    ['[a,"b",<<"c">>]', ['a', 'b', 'c']],
    ['{ok,1}', ['ok', 1]],
    ['#{}', {}],
    ['#{a => 1,b => [x]}', { a: 1, b: ['x'] }],
    ['<0.123.0>', '<0.123.0>'],
    ['#Ref<0.1.2.3>', '#Ref<0.1.2.3>'],
  ])('%s', (text, plain) => {
    expect(toPlain(ok(text))).toEqual(plain);
  });

  it('keeps atoms, strings and binaries apart', () => {
    expect(ok('x')).toEqual({ type: 'atom', name: 'x' });
    expect(ok('"x"')).toEqual({ type: 'string', value: 'x' });
    expect(ok('<<"x">>')).toEqual({ type: 'binary', value: 'x' });
  });

  it('ignores arbitrary newlines and indentation between tokens (~p wrapping, CRLF)', () => {
    const t = ok("#{running_nodes =>\r\n      ['a@h',\n       'b@h'],\r\n  stopped_nodes => []}");
    expect(toPlain(t)).toEqual({ running_nodes: ['a@h', 'b@h'], stopped_nodes: [] });
  });

  it('concatenates adjacent string literals (io_lib_pretty splits long strings)', () => {
    expect(toPlain(ok('"line1\\n"\n   "line2"'))).toBe('line1\nline2');
    expect(toPlain(ok('<<"ab"\n  "cd">>'))).toBe('abcd');
  });

  it('reads a binary holding an escaped printed map (relup logs details)', () => {
    const t = ok('#{details => <<"#{file => \\"/x\\",stage => s}">>,err_type => sha256_mismatch}');
    expect(toPlain(mapGet(t, 'details')!)).toBe('#{file => "/x",stage => s}');
    expect(mapGet(t, 'err_type')).toEqual({ type: 'atom', name: 'sha256_mismatch' });
  });

  it('reads a list with an improper tail and a stacktrace-ish tuple', () => {
    expect(toPlain(ok('[a|b]'))).toEqual(['a', 'b']);
    const st = ok('[{emqx_relup_main,upgrade,2,[{file,"src/emqx_relup_main.erl"},{line,88}]}]');
    expect(toPlain(st)).toEqual([
      [
        'emqx_relup_main',
        'upgrade',
        2,
        [
          ['file', 'src/emqx_relup_main.erl'],
          ['line', 88],
        ],
      ],
    ]);
  });

  it.each([
    ['#{a => 1', 'unterminated map'],
    ['"abc', 'unterminated string'],
    ['#{...same shape...}', 'elided map (not a term)'],
    ['<<"a",300>>', 'byte out of range'],
    ['[a,,b]', 'empty element'],
    ['a b', 'trailing text'],
    ['', 'empty'],
  ])('rejects %j (%s)', (text) => {
    expect(parseWholeTerm(text).ok).toBe(false);
  });

  it('parseTerm reports where the term ends', () => {
    const r = parseTerm('x #{a => 1} trailing', 1);
    expect(r.ok && r.end).toBe(11);
  });
});
