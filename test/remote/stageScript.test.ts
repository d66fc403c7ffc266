// The node side of exec staging (remote/stageScript.ts), run with the local POSIX sh and GNU
// coreutils, like on a node: what lands, what is refused, what is kept for a resume.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STAGE_SCRIPT, parseOutcome, parsePrefixes } from '../../src/remote/stageScript.js';
import { parseObservation } from '../../src/remote/stagePlan.js';

const base = mkdtempSync(join(tmpdir(), 'emqx-rollout-stagescript-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let seq = 0;

function run(
  args: { dir: string; f: string; size: number; want: string },
  stdin: Buffer | string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      '/bin/sh',
      ['-c', STAGE_SCRIPT, 'stage', args.dir, args.f, `${args.f}.part`, String(args.size), args.want],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env,
      },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.stdin.on('error', () => {}); // the script may exit before reading everything
    p.stdin.end(stdin);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

function job(size = 300_000 + (seq % 7)) {
  const dir = join(base, `case ${++seq} $(x)`, 'staging');
  const data = randomBytes(size);
  return { dir, f: join(dir, 'emqx.tar.gz'), size, want: sha(data), data };
}

describe('stage script', () => {
  it('receives the bytes, verifies them and renames into place; the digest is the bytes on disk', async () => {
    const j = job();
    const r = await run(j, Buffer.concat([Buffer.from('from 0\n'), j.data]));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^pgid \d+$/m);
    expect(parseObservation(r.out).freeBytes).toBeGreaterThan(0);
    expect(parseOutcome(r.out)).toEqual({ kind: 'done', sha: j.want, size: j.size });
    expect(readFileSync(j.f).equals(j.data)).toBe(true);
    expect(existsSync(`${j.f}.part`)).toBe(false);
  });

  it('a corrupted byte on the wire is rejected: no final file, the full-size .part removed', async () => {
    const j = job();
    const bad = Buffer.from(j.data);
    bad[12345] ^= 0x01;
    const r = await run(j, Buffer.concat([Buffer.from('from 0\n'), bad]));
    expect(r.code).toBe(1);
    const o = parseOutcome(r.out);
    expect(o).toMatchObject({ kind: 'bad', rc: '0', size: j.size, sha: sha(bad) });
    expect(existsSync(j.f)).toBe(false);
    expect(existsSync(`${j.f}.part`)).toBe(false);
  });

  it('a truncated upload is rejected: no final file, the received prefix kept for a resume', async () => {
    const j = job();
    const short = j.data.subarray(0, j.size - 4097);
    const r = await run(j, Buffer.concat([Buffer.from('from 0\n'), short]));
    expect(r.code).toBe(1);
    expect(parseOutcome(r.out)).toMatchObject({ kind: 'bad', size: short.length });
    expect(existsSync(j.f)).toBe(false);
    expect(readFileSync(`${j.f}.part`).equals(short)).toBe(true);
  });

  it('more bytes than expected are rejected and removed', async () => {
    const j = job();
    const r = await run(j, Buffer.concat([Buffer.from('from 0\n'), j.data, Buffer.from('x')]));
    expect(parseOutcome(r.out)).toMatchObject({ kind: 'bad', size: j.size + 1 });
    expect(existsSync(j.f)).toBe(false);
    expect(existsSync(`${j.f}.part`)).toBe(false);
  });

  it('resumes: cuts the .part to the offset (dropping what follows) and hashes prefix + rest', async () => {
    const j = job();
    mkdirSync(j.dir, { recursive: true });
    const k = 100_000;
    writeFileSync(`${j.f}.part`, Buffer.concat([j.data.subarray(0, k), randomBytes(5000)])); // a torn tail
    const r = await run(j, Buffer.concat([Buffer.from(`hash ${k} 7\nfrom ${k}\n`), j.data.subarray(k)]));
    expect(parseObservation(r.out).partSize).toBe(k + 5000);
    expect(parsePrefixes(r.out)).toEqual(
      new Map([
        [k, sha(j.data.subarray(0, k))],
        [7, sha(j.data.subarray(0, 7))],
      ]),
    );
    expect(parseOutcome(r.out)).toEqual({ kind: 'done', sha: j.want, size: j.size });
    expect(readFileSync(j.f).equals(j.data)).toBe(true);
  });

  it('reports a present target of the right size by digest, skips hashing a wrong size, and `stop` writes nothing', async () => {
    const j = job();
    mkdirSync(j.dir, { recursive: true });
    writeFileSync(j.f, j.data);
    const r = await run(j, 'stop\nfrom 0\n');
    expect(r.code).toBe(0);
    expect(parseObservation(r.out).remoteSha).toBe(j.want);
    expect(existsSync(`${j.f}.part`)).toBe(false);
    writeFileSync(j.f, j.data.subarray(1));
    const r2 = await run(j, '');
    expect(r2.code).toBe(0);
    expect(r2.out).not.toMatch(/^sha /m);
    expect(r2.out).toMatch(/^ready$/m);
  });

  it('falls back to sha256sum when openssl is missing or broken', async () => {
    const j = job();
    const bin = join(base, `fake-bin-${seq}`);
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'openssl'),
      '#!/bin/sh\necho "0000000000000000000000000000000000000000000000000000000000000000 *stdin"\n',
    );
    chmodSync(join(bin, 'openssl'), 0o755);
    const r = await run(j, Buffer.concat([Buffer.from('from 0\n'), j.data]), {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    });
    expect(parseOutcome(r.out)).toEqual({ kind: 'done', sha: j.want, size: j.size });
  });

  it('a failed write (unwritable .part) is never renamed', async () => {
    if (process.getuid?.() === 0) {
      // root writes anyway; a directory in place of the .part fails for everyone
      const j = job();
      mkdirSync(`${j.f}.part`, { recursive: true });
      const r = await run(j, Buffer.concat([Buffer.from('from 0\n'), j.data]));
      expect(r.code).not.toBe(0);
      expect(existsSync(j.f)).toBe(false);
      return;
    }
    const j = job();
    mkdirSync(j.dir, { recursive: true });
    writeFileSync(`${j.f}.part`, '');
    chmodSync(`${j.f}.part`, 0o444);
    const r = await run(j, Buffer.concat([Buffer.from('from 0\n'), j.data]));
    expect(r.code).not.toBe(0);
    expect(existsSync(j.f)).toBe(false);
  });
});
