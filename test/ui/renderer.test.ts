import { Console } from 'node:console';
import { describe, expect, it } from 'vitest';
import { chooseRenderer, isInCi, noColor, rendererKind } from '../../src/ui/renderer.js';
import { T0, haltedRollout } from './fixtures.js';
import { FakeStdin, FakeTerminal, stripAnsi } from './helpers.js';

describe('rendererKind / chooseRenderer', () => {
  it('picks json for --json, ink only on a non-CI TTY without --plain, else plain', () => {
    const k = (json: boolean, plain: boolean, isTTY: boolean, env: Record<string, string | undefined> = {}) =>
      rendererKind({ json, plain, isTTY, env });
    expect(k(true, false, true)).toBe('json');
    expect(k(true, true, false)).toBe('json');
    expect(k(false, false, true)).toBe('ink');
    expect(k(false, true, true)).toBe('plain');
    expect(k(false, false, false)).toBe('plain');
    expect(k(false, false, true, { CI: 'true' })).toBe('plain');
    expect(k(false, false, true, { CONTINUOUS_INTEGRATION: '1' })).toBe('plain');
    expect(k(false, false, true, { CI: 'false' })).toBe('ink');
    expect(k(false, false, true, { CI: '0' })).toBe('ink');
  });

  it('isInCi follows ink’s is-in-ci; NO_COLOR counts only when non-empty', () => {
    expect(isInCi({ CI: '' })).toBe(true); // set, even empty, and not 0/false
    expect(isInCi({})).toBe(false);
    expect(noColor({ NO_COLOR: '1' })).toBe(true);
    expect(noColor({ NO_COLOR: '' })).toBe(false);
    expect(noColor({})).toBe(false);
  });

  const streams = () => ({ stdout: new FakeTerminal(), stderr: new FakeTerminal(), stdin: new FakeStdin() });
  const opts = (
    s: ReturnType<typeof streams>,
    o: { json: boolean; plain: boolean; isTTY: boolean; env: Record<string, string | undefined> },
  ) => ({
    ...o,
    stdout: s.stdout as unknown as NodeJS.WriteStream,
    stderr: s.stderr as unknown as NodeJS.WriteStream,
    stdin: s.stdin as unknown as NodeJS.ReadStream,
    now: () => T0,
  });

  it('--json: only NDJSON on stdout, nothing on stderr', async () => {
    const s = streams();
    const r = chooseRenderer(opts(s, { json: true, plain: false, isTTY: true, env: {} }));
    for (const e of haltedRollout()) r.onEvent(e);
    await r.finish();
    const lines = s.stdout.text.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(haltedRollout().map((e) => e.type));
    expect(s.stderr.text).toBe('');
  });

  it('non-TTY: plain lines without ANSI; a TTY with NO_COLOR and --plain: still no ANSI', async () => {
    for (const o of [
      { json: false, plain: false, isTTY: false, env: {} },
      { json: false, plain: true, isTTY: true, env: { NO_COLOR: '1' } },
    ]) {
      const s = streams();
      const r = chooseRenderer(opts(s, o));
      for (const e of haltedRollout()) r.onEvent(e);
      await r.finish();
      expect(s.stdout.text).toContain('HALTED emqx@127.0.0.12 marker');
      expect(s.stdout.text).not.toMatch(/\u001b/);
    }
  });

  it('a TTY outside CI gets the Ink view, which releases the terminal on finish()', async () => {
    // Ink's patchConsole (on in production) builds a console.Console; vitest's console lacks that property.
    const c = console as unknown as { Console?: unknown };
    c.Console ??= Console;
    const s = streams();
    const r = chooseRenderer(opts(s, { json: false, plain: false, isTTY: true, env: { NO_COLOR: '1' } }));
    for (const e of haltedRollout()) r.onEvent(e);
    await r.finish();
    const out = stripAnsi(s.stdout.text);
    expect(out).toContain('HALTED at emqx@127.0.0.12 · check marker');
    expect(out).toContain('╭');
  });
});
