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
    // `npm test -- --coverage`: V8's own coverage of the packages' and the shop's sources.
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'examples/shop/services/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.d.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
    },
  },
});
