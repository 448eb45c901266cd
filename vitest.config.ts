import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Codec tests compile a 32 MB wasm per worker: keep parallelism to the 2 cores.
    maxWorkers: 2,
  },
});
