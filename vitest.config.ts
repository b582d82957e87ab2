import { defineConfig } from 'vitest/config';

/**
 * Two projects: `node` (unit, integration, multi-process) and `browser` (real headless
 * Chromium driving the tracker and the dashboard). Both share the global setup that starts
 * redis-server and picks the database.
 */
export default defineConfig({
  test: {
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts', 'embedded-mongo/test/**/*.test.ts'],
          exclude: ['tests/browser/**', '**/node_modules/**'],
          pool: 'forks',
          // Node tests first, then browser tests: together they would overload two cores.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          pool: 'forks',
          // Each browser file starts its own hub and Chromium; two cores fit two at a time.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
        },
      },
    ],
  },
});
