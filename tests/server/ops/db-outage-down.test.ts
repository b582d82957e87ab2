/**
 * Database down: the standalone database process is killed (kill -9) for five minutes, then
 * started again on the same port and files. See db-outage-scenario.ts. This file is mostly
 * waiting: it runs in the `faults` project, beside the other test files.
 */
import { describe, it } from 'vitest';
import { checkOutage } from './db-outage-checks.ts';
import { runOutage, type OutageTiming } from './db-outage-scenario.ts';

const DOWN_MS = 5 * 60_000;
const TIMING: OutageTiming = { warmMs: 5_000, faultMs: DOWN_MS, afterMs: 10_000, detectMs: 4_000 };

describe('database down (killed)', () => {
  it(
    `keeps answering for ${DOWN_MS / 60_000} min and stores every event once after the restart`,
    async () => {
      checkOutage('down', await runOutage('down', TIMING), TIMING);
    },
    DOWN_MS + 240_000,
  );
});
