import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The S3 and CDK tests start servers and synthesize stacks: give them room on a 2-core CI box.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One fixed fast-check seed for every property (FC_SEED=<n> to explore).
    setupFiles: ['test/helpers/fast-check-seed.ts'],
  },
});
