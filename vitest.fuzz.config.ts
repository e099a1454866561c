import { defineConfig } from 'vitest/config';

// Long-running fuzz/soak tests, kept out of `npm test`: `npm run fuzz`.
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.test.ts'],
    testTimeout: 30 * 60_000,
    reporters: ['default'],
  },
});
