// The read-only shell probes observe() sends, run by a real /bin/sh on temp dirs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dfNearest, stagingWritable } from '../../../src/rollout/observe/node.js';

const dir = mkdtempSync(join(tmpdir(), 'observe-probes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(command: string): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' }) };
  } catch (e) {
    return { code: (e as { status: number }).status, out: '' };
  }
}

describe('observe probes', () => {
  it('stagingWritable: a missing stagingDir is judged by the ancestor mkdir -p would create it in', () => {
    expect(sh(stagingWritable(join(dir, 'not', 'yet', 'there'))).code).toBe(0);
    writeFileSync(join(dir, 'a-file'), '');
    // under a regular file nothing can be created, whoever asks
    expect(sh(stagingWritable(join(dir, 'a-file', 'staging'))).code).toBe(1);
  });

  it('stagingWritable and dfNearest quote hostile paths: nothing is executed', () => {
    const hostile = join(dir, '$(touch pwned) x');
    expect(sh(stagingWritable(hostile)).code).toBe(0);
    const df = sh(dfNearest(join(hostile, 'deeper')));
    expect(df.code).toBe(0);
    expect(df.out).toMatch(/^Filesystem/);
    expect(sh(`test -e ${JSON.stringify(join(process.cwd(), 'pwned'))}`).code).toBe(1);
  });
});
