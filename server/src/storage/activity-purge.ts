import type { Models } from './models.ts';
import type { StatsCollections } from './rollup-models.ts';

/**
 * Erasure: every raw document of one user, and every rollup and user-day built from them, so
 * each history answer drops the user at once. The caller deletes the rollups once more after
 * a rollup catch-up: a run that read the page views just before they went may write after us.
 */
export async function eraseUser(
  models: Models,
  stats: StatsCollections,
  agencyId: string,
  userId: string,
): Promise<{ pageviews: number; sessions: number }> {
  const who = { agencyId, userId };
  const [pv, s] = await Promise.all([models.pageviews.deleteMany(who), models.sessions.deleteMany(who)]);
  await eraseRollups(stats, agencyId, userId);
  return { pageviews: pv.deletedCount, sessions: s.deletedCount };
}

/** Deletes one user's rollups and user-days (idempotent). */
export async function eraseRollups(stats: StatsCollections, agencyId: string, userId: string): Promise<void> {
  const who = { agencyId, userId };
  await Promise.all([stats.rollups.deleteMany(who), stats.days.deleteMany(who)]);
}

/**
 * Retention: raw page views and sessions that started before `cutoff` (a 15-minute edge, so no
 * rollup loses only part of its page views). Rollups and user-days are kept, and the rollup
 * store never recomputes buckets before the retention horizon, so History still answers.
 */
export async function purgeBefore(models: Models, cutoff: Date): Promise<{ pageviews: number; sessions: number }> {
  const old = { startedAt: { $lt: cutoff } };
  const [pv, s] = await Promise.all([models.pageviews.deleteMany(old), models.sessions.deleteMany(old)]);
  return { pageviews: pv.deletedCount, sessions: s.deletedCount };
}
