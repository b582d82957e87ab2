import type { Models } from './models.ts';
import { dayOf } from '../domain/rollup-days.ts';
import { pathDayId, type PathDayKey } from '../domain/rollup-path-days.ts';
import { READ_BATCH } from './bulk-chunks.ts';
import type { StatsCollections } from './rollup-models.ts';
import { untilSettled } from './rollup-cas.ts';
import { rebuildPathDays } from './rollup-path-day-store.ts';

/**
 * Erasure: every raw document of one user, and every rollup and user-day built from them, so
 * each history answer drops the user at once. The caller deletes the rollups once more after
 * the rollup runs in progress are done (RollupJob.settle): a run that read the page views just
 * before they went may write after us.
 */
export async function eraseUser(
  models: Models,
  stats: StatsCollections,
  agencyId: string,
  userId: string,
): Promise<{ pageviews: number; sessions: number }> {
  const who = { agencyId, userId };
  // Where the user counted, read while everything is there: once the page views are gone, a
  // rollup run (here or on another instance) may delete the user's days and rollups itself.
  const counted = await pathDaysOf(stats, agencyId, userId);
  const [pv, s] = await Promise.all([models.pageviews.deleteMany(who), models.sessions.deleteMany(who)]);
  await eraseRollups(stats, agencyId, userId, counted);
  return { pageviews: pv.deletedCount, sessions: s.deletedCount };
}

/** The location-days (path-day keys) a user's rollups and user-days count in. */
async function pathDaysOf(stats: StatsCollections, agencyId: string, userId: string) {
  const who = { agencyId, userId };
  const keys = new Map<string, PathDayKey>();
  const add = (locationId: string | null | undefined, at: Date) => {
    const k = { agencyId, locationId: locationId ?? null, day: dayOf(at.getTime()) };
    keys.set(pathDayId(k), k);
  };
  for (const d of await stats.days.find(who, { projection: { locationId: 1, day: 1 } }).toArray())
    add(d.locationId, d.day);
  const rollups = stats.rollups.find(who, {
    projection: { _id: 0, locationId: 1, bucketStart: 1 },
    batchSize: READ_BATCH,
  });
  for await (const r of rollups) add(r.locationId, r.bucketStart);
  return keys;
}

/**
 * Deletes one user's rollups, rebuilds the location path-days they counted in (those hold every
 * user of a location-day, so they are rebuilt, not deleted), then deletes the user-days and
 * user-months. In that order, so that a call that fails half way finds the user-days again
 * when repeated; idempotent, and a second call finds what a racing rollup run wrote back.
 */
export async function eraseRollups(
  stats: StatsCollections,
  agencyId: string,
  userId: string,
  known: Map<string, PathDayKey> = new Map(),
): Promise<void> {
  const who = { agencyId, userId };
  const keys = new Map([...known, ...(await pathDaysOf(stats, agencyId, userId))]);
  await stats.rollups.deleteMany(who);
  const entries = [...keys];
  for (let i = 0; i < entries.length; i += 200)
    await untilSettled(new Map(entries.slice(i, i + 200)), (part) =>
      rebuildPathDays(stats.rollups, stats.pathDays, [...part.values()]),
    );
  await stats.days.deleteMany(who);
  // Last: a run refreshing a month before the days went could have written it back.
  await stats.months.deleteMany(who);
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
