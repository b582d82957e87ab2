import { defineConfig } from 'vitest/config';

/**
 * Three projects: `node` (unit, integration, multi-process), `faults` (database outages:
 * minutes of mostly waiting, run beside `node` so the waits overlap other work) and `browser`
 * (real headless Chromium driving the tracker and the dashboard). All share the global setup
 * that starts redis-server and picks the database.
 */
const FAULT_TESTS = ['tests/server/ops/db-outage.test.ts'];

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
          exclude: ['tests/browser/**', '**/node_modules/**', ...FAULT_TESTS],
          pool: 'forks',
          // One group with `faults` (vitest wants one worker count per group): two workers, one
          // of which the outage file holds while it mostly waits. Node tests first, then
          // browser tests: together they would overload two cores.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: FAULT_TESTS,
          pool: 'forks',
          // Same group as `node`: one file whose two outages (5 min and 1 min) run concurrently in
          // one worker, while `node`'s files run beside it (they are light: 4 tabs).
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
          testTimeout: 600_000,
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
