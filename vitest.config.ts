import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    // Any console output fails the test that wrote it (product code logs through pino, silent in tests).
    setupFiles: ['test/setup/failOnConsole.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Store suites share one PostgreSQL database; files run in separate workers.
    fileParallelism: true,
  },
});
