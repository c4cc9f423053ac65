import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/reliability/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests share real servers (PostgreSQL, NATS); files isolate themselves by database/stream name.
    pool: 'forks',
  },
});
