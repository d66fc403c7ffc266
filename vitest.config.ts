import { defineConfig } from 'vitest/config';

// One project: unit tests are fast; integration tests start their own sshd / simulated nodes on
// 127.0.0.x through test/support helpers. 2 workers: the CI machine has 2 cores.
export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    include: ['test/**/*.test.{ts,tsx}'],
    // the fault matrix has its own run: npm run reliability (vitest.reliability.config.ts)
    exclude: ['test/reliability/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 15_000,
    globalSetup: ['./test/support/build.ts'],
  },
});
