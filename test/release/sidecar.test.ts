import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSidecar, readSidecar } from '../../src/release/sidecar.js';
import { BadInputError } from '../../src/util/errors.js';

const HEX = 'A3F1C2A9E8B7D6C5F4E3D2C1B0A9F8E7D6C5B4A3F2E1D0C9B8A7F6E5D4C3B2A1';
const hex = HEX.toLowerCase();
const where = {
  sidecar: '/x/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz.sha256',
  tarballName: 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz',
};
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emqx-rollout-sidecar-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fails(text: string): BadInputError {
  try {
    parseSidecar(text, where);
  } catch (e) {
    expect(e).toBeInstanceOf(BadInputError);
    return e as BadInputError;
  }
  throw new Error('expected a BadInputError');
}

describe('parseSidecar', () => {
  it('official format: 64 hex, no newline; uppercase is lowercased like the node does', () => {
    expect(parseSidecar(HEX, where)).toEqual({ digest: hex, fileName: undefined });
    expect(parseSidecar(`${hex}\n`, where)).toEqual({ digest: hex, fileName: undefined });
  });
  it('sha256sum output, text and binary mode, with or without a directory', () => {
    expect(parseSidecar(`${hex}  emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz\n`, where)).toEqual({
      digest: hex,
      fileName: 'emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz',
    });
    expect(parseSidecar(`${hex} *emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz`, where).digest).toBe(hex);
    expect(parseSidecar(`${hex}  dl/emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz\r\n`, where).digest).toBe(hex);
  });
  it('a name of another file is refused, naming both', () => {
    const e = fails(`${hex}  emqx-enterprise-5.10.4-ubuntu22.04-amd64.tar.gz\n`);
    expect(e.message).toBe(`sha256 sidecar ${where.sidecar} names another file`);
    expect(e.details).toEqual([
      'expected a digest of emqx-enterprise-5.10.5-ubuntu22.04-amd64.tar.gz, found one of emqx-enterprise-5.10.4-ubuntu22.04-amd64.tar.gz',
    ]);
  });
  it('garbage, short digests and empty files are refused with the fix', () => {
    expect(fails('').details).toEqual(['expected 64 hex characters at the start of the file, found an empty file']);
    expect(fails(hex.slice(0, 63)).details[0]).toMatch(
      /^expected 64 hex characters at the start of the file, found "a3f1/,
    );
    expect(fails(`${hex}x`).details).toEqual([`expected the digest alone or "<digest>  <file name>", found "${hex}x"`]);
    expect(fails('sha256:abc').hint).toBe(
      `recreate it: sha256sum ${where.tarballName} | head -c 64 > ${where.tarballName}.sha256`,
    );
  });
  it('readSidecar: a missing file says what the node would do and how to fix it', async () => {
    const p = path.join(tmp, 'none.sha256');
    const e = (await readSidecar(p, 'x.tar.gz').catch((err: unknown) => err)) as BadInputError;
    expect(e).toBeInstanceOf(BadInputError);
    expect(e.message).toBe(`sha256 sidecar ${p} not found`);
    expect(e.details[0]).toContain('missing_sha256_sidecar');
    writeFileSync(p, hex);
    await expect(readSidecar(p, 'x.tar.gz')).resolves.toEqual({ digest: hex, fileName: undefined });
  });
});
