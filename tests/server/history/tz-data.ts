import type { PvSpec } from './fixtures.ts';

const pv = (agencyId: string, userId: string, startedAt: string, engagedMs = 1_000): PvSpec => ({
  agencyId,
  userId,
  startedAt,
  engagedMs,
});

/**
 * Page views at instants chosen around DST changes and month ends; the comment on each says
 * what local time it is, which is what the expected answers in the test are derived from.
 */
export const DATA: PvSpec[] = [
  // New York, spring forward on Sunday 2026-03-08 (02:00 EST -> 03:00 EDT).
  pv('ny', 'u0', '2026-03-07T04:59:59.000Z', 7), // Fri 23:59:59 EST: previous period
  pv('ny', 'u1', '2026-03-07T05:00:00.000Z', 1_000), // Sat 00:00 EST
  pv('ny', 'u2', '2026-03-08T04:59:59.999Z', 2_000), // Sat 23:59:59.999 EST
  pv('ny', 'u1', '2026-03-08T05:00:00.000Z', 3_000), // Sun 00:00 EST
  pv('ny', 'u1', '2026-03-08T07:30:00.000Z', 4_000), // Sun 03:30 EDT (02:30 never happened)
  pv('ny', 'u3', '2026-03-09T03:59:59.000Z', 5_000), // Sun 23:59:59 EDT
  pv('ny', 'u2', '2026-03-09T04:00:00.000Z', 6_000), // Mon 00:00 EDT
  pv('ny', 'u1', '2026-03-10T04:00:00.000Z', 8_000), // Wed 00:00 EDT: after the range
  // New York, fall back on Sunday 2026-11-01 (02:00 EDT -> 01:00 EST).
  pv('nyfall', 'u1', '2026-11-01T03:59:59.000Z'), // Sat 23:59:59 EDT
  pv('nyfall', 'u1', '2026-11-01T04:00:00.000Z'), // Sun 00:00 EDT
  pv('nyfall', 'u2', '2026-11-01T05:30:00.000Z'), // 01:30 EDT
  pv('nyfall', 'u3', '2026-11-01T06:30:00.000Z'), // 01:30 EST (the repeated hour)
  pv('nyfall', 'u2', '2026-11-08T04:59:59.000Z'), // Sat 23:59:59 EST
  pv('nyfall', 'u2', '2026-11-08T05:00:00.000Z'), // Sun 00:00 EST
  // Berlin: months around spring forward (2026-03-29).
  pv('berlin', 'u1', '2026-02-28T22:59:59.000Z'), // Feb 28 23:59:59 CET
  pv('berlin', 'u1', '2026-02-28T23:00:00.000Z'), // Mar 1 00:00 CET
  pv('berlin', 'u2', '2026-03-29T01:00:00.000Z'), // Mar 29 03:00 CEST
  pv('berlin', 'u2', '2026-03-31T21:59:59.000Z'), // Mar 31 23:59:59 CEST
  pv('berlin', 'u3', '2026-03-31T22:00:00.000Z'), // Apr 1 00:00 CEST
  pv('berlin', 'u3', '2026-01-15T12:00:00.000Z'), // January: previous period
  // Adelaide (+10:30 -> +9:30 on 2026-04-05).
  pv('adelaide', 'u1', '2026-03-31T13:29:59.000Z'), // Mar 31 23:59:59 ACDT
  pv('adelaide', 'u1', '2026-03-31T13:30:00.000Z'), // Apr 1 00:00 ACDT
  pv('adelaide', 'u2', '2026-04-04T13:30:00.000Z'), // Apr 5 00:00 ACDT
  pv('adelaide', 'u2', '2026-04-05T14:29:59.000Z'), // Apr 5 23:59:59 ACST
  pv('adelaide', 'u3', '2026-04-05T14:30:00.000Z'), // Apr 6 00:00 ACST
  // Kolkata (+5:30) and Kathmandu (+5:45): edges inside UTC hours.
  pv('kolkata', 'u1', '2026-02-28T18:29:59.000Z'), // Feb 28 23:59:59 IST
  pv('kolkata', 'u2', '2026-02-28T18:30:00.000Z'), // Mar 1 00:00 IST
  pv('kolkata', 'u2', '2026-03-31T18:29:59.000Z'), // Mar 31 23:59:59 IST
  pv('kolkata', 'u3', '2026-03-31T18:30:00.000Z'), // Apr 1 00:00 IST
  pv('kathmandu', 'u1', '2026-03-01T18:14:59.000Z'), // Sun Mar 1 23:59:59 NPT
  pv('kathmandu', 'u2', '2026-03-01T18:15:00.000Z'), // Mon Mar 2 00:00 NPT
  pv('kathmandu', 'u2', '2026-03-08T18:14:59.000Z'), // Sun Mar 8 23:59:59 NPT
  pv('kathmandu', 'u3', '2026-03-08T18:15:00.000Z'), // Mon Mar 9 00:00 NPT
];
