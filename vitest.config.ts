import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts', 'src/**/*.test.tsx'],
    exclude: ['test/fuzz/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    reporters: ['default'],
  },
});
