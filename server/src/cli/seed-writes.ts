/** How the seed writes rollups and user-days for the page views it has just inserted. */
import type { AnyBulkWriteOperation } from 'mongodb';
import type { DayKey, DayValues } from '../domain/rollup-days.ts';
import type { RollupKey, RollupValues } from '../domain/rollup-keys.ts';
import type { RollupDayDoc, RollupDoc } from '../storage/rollup-models.ts';
import { newRev } from '../storage/rollup-cas.ts';
import type { StatsStorage } from '../storage/stats-storage.ts';

const rollupDoc = (id: string, k: RollupKey, v: RollupValues): RollupDoc => ({
  _id: id,
  agencyId: k.agencyId,
  userId: k.userId,
  locationId: k.locationId,
  path: k.path,
  bucketStart: new Date(k.bucketStart),
  pageviews: v.pageviews,
  engagedMs: v.engagedMs,
  lastSeenAt: new Date(v.lastSeenAt),
  userName: v.userName,
  version: new Date(v.version),
});

/**
 * Writes rollups for page views the seed has just inserted. Into an empty rollup collection they
 * are plain inserts; otherwise they are added (`$inc`) to what is there, because these page
 * views are new. This is the one place rollups are incremented rather than recomputed.
 */
export async function writeRollups(
  stats: StatsStorage,
  entries: [string, { key: RollupKey; values: RollupValues }][],
  fresh: boolean,
): Promise<void> {
  if (entries.length === 0) return;
  if (fresh) {
    await stats.collections.rollups.insertMany(
      entries.map(([id, e]) => rollupDoc(id, e.key, e.values)),
      { ordered: false },
    );
    return;
  }
  const ops: AnyBulkWriteOperation<RollupDoc>[] = entries.map(([id, { key: k, values: v }]) => ({
    updateOne: {
      filter: { _id: id },
      update: {
        $inc: { pageviews: v.pageviews, engagedMs: v.engagedMs },
        $max: { lastSeenAt: new Date(v.lastSeenAt), version: new Date(v.version) },
        $set: {
          agencyId: k.agencyId,
          userId: k.userId,
          locationId: k.locationId,
          path: k.path,
          bucketStart: new Date(k.bucketStart),
          userName: v.userName,
        },
      },
      upsert: true,
    },
  }));
  await stats.collections.rollups.bulkWrite(ops, { ordered: false });
}

/** The same for user-days: inserts, or slot counts added with `$inc`. */
export async function writeDays(
  stats: StatsStorage,
  entries: [string, { key: DayKey; values: DayValues }][],
  fresh: boolean,
): Promise<void> {
  if (entries.length === 0) return;
  const fields = (k: DayKey, v: DayValues) => ({
    agencyId: k.agencyId,
    userId: k.userId,
    locationId: k.locationId,
    day: new Date(k.day),
    userName: v.userName,
  });
  if (fresh) {
    const docs: RollupDayDoc[] = entries.map(([id, { key: k, values: v }]) => ({
      _id: id,
      ...fields(k, v),
      slots: v.slots,
      pageviews: v.pageviews,
      engagedMs: v.engagedMs,
      lastSeenAt: new Date(v.lastSeenAt),
      version: new Date(v.version),
    }));
    await stats.collections.days.insertMany(docs, { ordered: false });
    return;
  }
  const ops: AnyBulkWriteOperation<RollupDayDoc>[] = entries.map(([id, { key: k, values: v }]) => {
    const inc: Record<string, number> = { pageviews: v.pageviews, engagedMs: v.engagedMs };
    const max: Record<string, number | Date> = { lastSeenAt: new Date(v.lastSeenAt), version: new Date(v.version) };
    for (const [slot, x] of Object.entries(v.slots)) {
      inc[`slots.${slot}.p`] = x.p;
      inc[`slots.${slot}.m`] = x.m;
      if (x.l !== undefined) max[`slots.${slot}.l`] = x.l;
    }
    return {
      updateOne: {
        filter: { _id: id },
        update: {
          $inc: inc,
          $max: max,
          // A new revision: a rollup run that read this day before must not write it back (rollup-cas.ts).
          $set: { ...fields(k, v), rev: newRev() },
        },
        upsert: true,
      },
    };
  });
  await stats.collections.days.bulkWrite(ops, { ordered: false });
}
