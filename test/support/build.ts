// The suite tests the BUILT program (bin/emqx of a simulated node runs dist/sim/emqxCli.js; e2e
// tests run dist/cli/main.js). `npm test` builds first; this also makes a bare `vitest run` on a
// fresh or edited checkout build once, in vitest's globalSetup, before any worker starts.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MARK = join(REPO, 'dist', 'cli', 'main.js');

function newestMtime(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return max;
}

export function distIsFresh(): boolean {
  return existsSync(MARK) && statSync(MARK).mtimeMs >= newestMtime(join(REPO, 'src'));
}

/** For test files: fail (never skip) when the build is missing. */
export function ensureBuilt(): void {
  if (!existsSync(MARK)) throw new Error(`${MARK} is missing: run \`npm run build\` (npm test does it)`);
}

export default function setup(): void {
  if (distIsFresh()) return;
  try {
    execFileSync(
      process.execPath,
      [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: REPO, stdio: 'inherit' },
    );
  } catch {
    // tsc still emits JavaScript when it reports type errors; `npm test` runs `npm run build`
    // first and fails on them, so here we only say so and test what was emitted.
    process.stderr.write('[build] tsc reported type errors (see above); testing the emitted dist/ anyway\n');
  }
  // tsc leaves older outputs alone when nothing changed in them; the mark must say "fresh" now.
  const now = new Date();
  if (existsSync(MARK)) execFileSync('touch', ['-d', now.toISOString(), MARK]);
}
