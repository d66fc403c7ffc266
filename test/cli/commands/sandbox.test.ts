// `sandbox up` rejects version flags that are not a forward hop; `sandbox down` is honest about an empty dir.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSandboxVersions, sandboxDownCommand, sandboxUpCommand } from '../../../src/cli/commands/sandbox.js';
import type { CliIO } from '../../../src/cli/io.js';
import { BadInputError } from '../../../src/util/errors.js';

function fakeIO(): { io: CliIO; out: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (b: Buffer) => (text += b.toString()));
  const io = { stdout, stderr: new PassThrough(), stdin: new PassThrough() } as unknown as CliIO;
  return { io, out: () => text };
}

const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

describe('sandbox up version flags', () => {
  it.each([
    ['garbage', '5.10.5', /^--from: expected an EMQX version like 5\.10\.4 .*, found "garbage"$/],
    ['5.10.4', 'v5.10.5', /^--to: expected an EMQX version like 5\.10\.4 .*, found "v5\.10\.5"$/],
    ['5.10.5', '5.10.4', /^--to: expected a version newer than --from 5\.10\.5, found 5\.10\.4$/],
    ['5.10.4', '5.10.4', /^--to: expected a version newer than --from 5\.10\.4, found 5\.10\.4$/],
  ])('--from %s --to %s → bad input', async (from, to, msg) => {
    let err: unknown;
    try {
      checkSandboxVersions(from, to);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as BadInputError).kind).toBe('bad-input');
    expect((err as BadInputError).message).toMatch(msg);
  });

  it('accepts forward hops, including pre-release to final', () => {
    expect(() => checkSandboxVersions('5.10.4', '5.10.5')).not.toThrow();
    expect(() => checkSandboxVersions('5.10.5-rc.1', '5.10.5')).not.toThrow();
  });

  it('the command refuses before creating anything', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'sbx-cmd-')), 'sub');
    tmp.push(join(dir, '..'));
    const { io, out } = fakeIO();
    await expect(sandboxUpCommand(io, { dir, nodes: 3, from: 'garbage', to: '5.10.5' })).rejects.toBeInstanceOf(
      BadInputError,
    );
    expect(existsSync(dir)).toBe(false);
    expect(out()).toBe('');
  });
});

describe('sandbox down', () => {
  it('says so when there is no sandbox in the dir', async () => {
    const { io, out } = fakeIO();
    const dir = join(tmpdir(), `does-not-exist-${process.pid}-${Date.now()}`);
    await sandboxDownCommand(io, { dir });
    expect(out()).toBe(`no sandbox found in ${dir}\n`);
  });
});
