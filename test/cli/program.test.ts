import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { describeError } from '../../src/cli/program.js';
import { EXIT, exitCodeFor } from '../../src/cli/exitCodes.js';
import { BadInputError, RolloutError, type ErrorKind } from '../../src/util/errors.js';

describe('exit code table', () => {
  const table: Array<[ErrorKind, number]> = [
    ['bad-input', 2],
    ['remote', 2],
    ['preflight-blocked', 3],
    ['halted', 4],
    ['paused', 5],
    ['lock-held', 6],
    ['interrupted', 130],
    ['internal', 1],
  ];
  it.each(table)('%s → %i', (kind, code) => {
    expect(exitCodeFor(kind)).toBe(code);
  });
});

describe('describeError', () => {
  it('prints a typed error with evidence and hint, no stack', () => {
    const d = describeError(
      new BadInputError('inventory x.yaml is invalid: 2 problems', {
        details: ['x.yaml:3:5 nodes[0].port: expected an integer 1–65535, found "22a"'],
        hint: 'fix the file',
      }),
    );
    expect(d.code).toBe(EXIT.badInput);
    expect(d.text).toBe(
      'emqx-rollout: error: inventory x.yaml is invalid: 2 problems\n  x.yaml:3:5 nodes[0].port: expected an integer 1–65535, found "22a"\n  → fix the file\n',
    );
    expect(d.text).not.toMatch(/at .*\.js:\d+/);
  });

  it('maps a halt to 4 and says HALTED', () => {
    const d = describeError(new RolloutError('halted', 'emqx@n2: relup upgrade failed: sha256_mismatch'));
    expect(d.code).toBe(4);
    expect(d.text).toMatch(/^emqx-rollout: HALTED: emqx@n2/);
  });

  it('treats an untyped error as a bug: exit 1, versions, a request to report', () => {
    const d = describeError(new TypeError('x is undefined'));
    expect(d.code).toBe(EXIT.internal);
    expect(d.text).toMatch(/internal error \(a bug\): x is undefined/);
    expect(d.text).toMatch(/emqx-rollout \d+\.\d+\.\d+, node v\d+/);
    expect(d.text).toMatch(/report/);
  });

  it('help and version are success; other commander errors are bad input', () => {
    expect(describeError(new CommanderError(0, 'commander.helpDisplayed', '')).code).toBe(0);
    expect(describeError(new CommanderError(1, 'commander.missingMandatoryOptionValue', '')).code).toBe(2);
    expect(describeError(new CommanderError(1, 'commander.help', '')).code).toBe(2);
  });
});
