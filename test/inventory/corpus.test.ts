// Broken inventories, each carrying its exact expected problems in `# expect: L:C message` lines
// (placeholders: <home> = the temp home, <corpus> = this corpus directory). The loader must report
// exactly those problems — no more, no fewer, in source order — in one InventoryError.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/inventory/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import { BadInputError } from '../../src/util/errors.js';
import { makeHome } from './home.js';

const corpus = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');
const cwd = path.resolve(corpus, '../../..');
const broken = readdirSync(corpus).filter((f) => f.endsWith('.yaml') && !f.startsWith('good-'));
const h = makeHome();
afterAll(() => h.cleanup());

describe('broken inventory corpus', () => {
  it('has at least 15 cases', () => {
    expect(broken.length).toBeGreaterThanOrEqual(15);
  });

  for (const f of broken) {
    it(f, async () => {
      const file = path.join(corpus, f);
      const expected = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('# expect: '))
        .map((l) => l.slice('# expect: '.length).replaceAll('<home>', h.home).replaceAll('<corpus>', corpus));
      expect(expected.length).toBeGreaterThan(0);
      const err = await loadInventory(file, { home: h.home, cwd }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InventoryError);
      expect(err).toBeInstanceOf(BadInputError);
      const ie = err as InventoryError;
      const shown = `test/inventory/corpus/${f}`;
      expect(ie.kind).toBe('bad-input');
      expect(ie.message).toBe(
        `inventory ${shown} is invalid: ${expected.length} problem${expected.length === 1 ? '' : 's'}`,
      );
      expect(ie.details.every((d) => d.startsWith(`${shown}:`))).toBe(true);
      expect(ie.details.map((d) => d.slice(shown.length + 1))).toEqual(expected);
      // Operator-facing text, never a stack trace.
      expect(ie.long()).not.toMatch(/\n\s+at /);
    });
  }
});
