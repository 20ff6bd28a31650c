import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // examples/**/*.test.ts: the example suites users copy (examples/testing) run with ours
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
