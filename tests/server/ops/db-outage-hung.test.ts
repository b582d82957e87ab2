/**
 * Database hung: the standalone database process is stopped (SIGSTOP) for a minute; its port
 * still accepts connections and nothing answers. Then SIGCONT. See db-outage-scenario.ts.
 */
import { describe, it } from 'vitest';
import { checkOutage } from './db-outage-checks.ts';
import { runOutage, type OutageTiming } from './db-outage-scenario.ts';

const HUNG_MS = 60_000;
const TIMING: OutageTiming = { warmMs: 5_000, faultMs: HUNG_MS, afterMs: 10_000, detectMs: 4_000 };

describe('database hung (SIGSTOP)', () => {
  it(
    `keeps answering for ${HUNG_MS / 1000} s and stores every event once after SIGCONT`,
    async () => {
      checkOutage('hung', await runOutage('hung', TIMING), TIMING);
    },
    HUNG_MS + 240_000,
  );
});
