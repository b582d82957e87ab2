import type { Models } from './models.ts';
import { pathDayId, type PathDayKey } from '../domain/rollup-path-days.ts';
import type { StatsCollections } from './rollup-models.ts';
import { rebuildUntilWritten } from './rollup-cas.ts';
import { rebuildPathDays } from './rollup-path-day-store.ts';

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

/**
 * Deletes one user's rollups, user-days and user-months, and rebuilds the location path-days
 * they counted in (those hold every user of a location-day, so they are recomputed, not
 * deleted). Idempotent: the user-days name the path-days, so a second call finds what a racing
 * rollup run wrote back.
 */
export async function eraseRollups(stats: StatsCollections, agencyId: string, userId: string): Promise<void> {
  const who = { agencyId, userId };
  const days = await stats.days.find(who, { projection: { locationId: 1, day: 1 } }).toArray();
  const keys = new Map(
    days.map((d) => {
      const k = { agencyId, locationId: d.locationId ?? null, day: d.day.getTime() };
      return [pathDayId(k), k] as const;
    }),
  );
  await Promise.all([stats.rollups.deleteMany(who), stats.days.deleteMany(who), stats.months.deleteMany(who)]);
  const ids = [...keys.keys()];
  const keyOf = (id: string) => keys.get(id) as PathDayKey;
  for (let i = 0; i < ids.length; i += 200)
    await rebuildUntilWritten(ids.slice(i, i + 200), keyOf, (ks) => rebuildPathDays(stats.rollups, stats.pathDays, ks));
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
