// The on-node hash follower (stage.ts followerCommand), run with the local POSIX shell and GNU
// coreutils, like on a node.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { followerCommand } from '../../src/remote/stage.js';

const dir = mkdtempSync(join(tmpdir(), 'emqx-rollout-follow-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runSh(script: string): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out, ms: Date.now() - t0 }));
  });
}

describe('followerCommand', () => {
  it('hashes a file while it grows and prints digest and size', async () => {
    const file = join(dir, 'grow with space.part');
    writeFileSync(file, '');
    const parts = [randomBytes(700_000), randomBytes(700_000), randomBytes(600_001)];
    const all = Buffer.concat(parts);
    const done = runSh(followerCommand(file, all.length));
    for (const p of parts) {
      await new Promise((r) => setTimeout(r, 150));
      appendFileSync(file, p);
    }
    const r = await done;
    expect(r.code).toBe(0);
    const [sha, size] = r.out.trim().split('\n');
    expect(sha.slice(0, 64)).toBe(createHash('sha256').update(all).digest('hex'));
    expect(Number(size)).toBe(all.length);
    expect(r.ms).toBeLessThan(3_000);
  });

  it('gives up on a file that stops growing (dropped connection) instead of waiting forever', async () => {
    const file = join(dir, 'stalled.part');
    writeFileSync(file, randomBytes(1000));
    const r = await runSh(followerCommand(file, 5000, 2)); // 2 checks × 0.5 s
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0].slice(0, 64)).toBe(
      createHash('sha256')
        .update(Buffer.alloc(0))
        .update((await import('node:fs')).readFileSync(file))
        .digest('hex'),
    );
    expect(r.ms).toBeLessThan(4_000);
  });
});
