/**
 * Hub tokens for the load generator, minted in this one place with the hub's own token service
 * (as the hub would issue them), so a change to the token format (a `scope` claim, say) is made
 * here once. Trackers are location users; each agency has one dashboard, an agency user.
 */
import { createTokenService, type TokenService } from '../../../server/src/identity/hub-tokens.ts';

/** The secret the servers under test are started with. */
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-01';
/** Agencies the trackers are spread over; one dashboard watches each. */
export const AGENCIES = 10;

let service: TokenService | null = null;
function tokens(): TokenService {
  service ??= createTokenService({ secret: new TextEncoder().encode(BENCH_SECRET), ttlSec: 6 * 3600 });
  return service;
}

export const agencyOf = (i: number) => `bench-agency-${i % AGENCIES}`;

/** Token of tracker `i` (user `i`, a location user in agency `i % AGENCIES`). */
export async function trackerToken(i: number): Promise<string> {
  const agencyId = agencyOf(i);
  const reply = await tokens().issue(
    {
      userId: `bench-user-${i}`,
      name: `User ${i}`,
      email: '',
      role: 'location',
      agencyId,
      locationId: `${agencyId}-loc-${i % 7}`,
    },
    'track',
  );
  return reply.token;
}

/** Token of the dashboard watching agency `a`. */
export async function dashboardToken(a: number): Promise<string> {
  const agencyId = agencyOf(a);
  const reply = await tokens().issue(
    {
      userId: `bench-admin-${a}`,
      name: `Admin ${a}`,
      email: '',
      role: 'agency',
      agencyId,
      locationId: null,
    },
    'read',
  );
  return reply.token;
}
