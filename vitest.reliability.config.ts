import { defineConfig } from 'vitest/config';

// `npm run reliability`: the fault matrix (test/reliability), end to end on the built CLI over
// simulated clusters and real OpenSSH sshd. Not part of `npm test`. Its global teardown regenerates
// docs/RELIABILITY.md from the results of the cases that ran.
export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    globalSetup: ['./test/support/build.ts', './test/reliability/report.ts'],
  },
});
