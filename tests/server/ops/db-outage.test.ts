/**
 * Database outages against a real process (see db-outage-scenario.ts), both shapes at once:
 * - down: the standalone database process is killed (kill -9) for five minutes, then started
 *   again on the same port and files;
 * - hung: it is stopped with SIGSTOP for 60 s, then continued with SIGCONT.
 * Each scenario has its own database process, hub and trackers. This file is mostly waiting: it
 * runs in the `faults` project beside the `node` files, its two tests concurrently.
 */
import { describe, it } from 'vitest';
import { checkOutage } from './db-outage-checks.ts';
import { runOutage, type OutageTiming } from './db-outage-scenario.ts';

const DOWN_MS = 5 * 60_000;
const HUNG_MS = 60_000;
const timing = (faultMs: number): OutageTiming => ({ warmMs: 5_000, faultMs, afterMs: 10_000, detectMs: 4_000 });

describe.concurrent('database outages', () => {
  it(
    `down (killed): keeps answering for ${DOWN_MS / 60_000} min and stores every event once after the restart`,
    async () => {
      checkOutage('down', await runOutage('down', timing(DOWN_MS)), timing(DOWN_MS));
    },
    DOWN_MS + 240_000,
  );
  it(
    `hung (SIGSTOP): keeps answering for ${HUNG_MS / 1000} s and stores every event once after SIGCONT`,
    async () => {
      checkOutage('hung', await runOutage('hung', timing(HUNG_MS)), timing(HUNG_MS));
    },
    HUNG_MS + 240_000,
  );
});
