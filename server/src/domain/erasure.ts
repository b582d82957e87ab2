import type { Erasure } from '@activity-hub/protocol';
import { AppError } from './app-error.ts';
import type { Claims } from './identity.ts';
import type { PresenceStore } from './ports.ts';
import { spendOrThrow, userKey, type RateLimiter } from './rate-limiter.ts';

/** What erasure needs from the rest of the hub; wired in app.ts. */
export interface ErasureDeps {
  /** Deletes the user's page views and sessions, rollups and user-days; raw counts. */
  erase(agencyId: string, userId: string): Promise<Erasure['deleted']>;
  /** Deletes the user's rollups and user-days again (after any rollup run in flight). */
  eraseRollups(agencyId: string, userId: string): Promise<void>;
  /** Waits for the rollup runs in progress that may read the agency's page views (RollupJob.settle). */
  settle(agencyId: string): Promise<unknown>;
  /** The caller's `erase` budget is spent here, after the role check. */
  limiter: RateLimiter;
  presence: Pick<PresenceStore, 'list'>;
  /** Takes a tab off every dashboard (presence entry, removal event). */
  offline(agencyId: string, sessionId: string, at: number): Promise<void>;
  audit(line: { event: 'activity_erased'; by: string; byAgencyId: string; userId: string } & Erasure['deleted']): void;
  clock: () => number;
}

/**
 * Erasure of one user's activity, for privacy requests. Only agency users may erase, and only
 * inside their own agency: the agency always comes from the caller's claims, never the request.
 */
export async function eraseUserActivity(deps: ErasureDeps, claims: Claims, userId: string): Promise<Erasure> {
  if (claims.role !== 'agency') throw new AppError('forbidden', 'Only agency users may erase activity');
  const agencyId = claims.agencyId;
  spendOrThrow(deps.limiter, 'erase', userKey(agencyId, claims.sub), 'erasures by this user');
  const deleted = await deps.erase(agencyId, userId);
  // A rollup run that read the page views before they went may write after our delete. With
  // none deleted no run can have read any: no wait, and no hurrying the periodic run for every
  // tenant (`erase` has already deleted whatever rollups were left).
  if (deleted.pageviews > 0) {
    await deps.settle(agencyId);
    await deps.eraseRollups(agencyId, userId);
  }
  const at = deps.clock();
  for (const e of await deps.presence.list(agencyId, userId)) await deps.offline(agencyId, e.sessionId, at);
  deps.audit({ event: 'activity_erased', by: claims.sub, byAgencyId: agencyId, userId, ...deleted });
  return { deleted };
}
