import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import { DAY_MS, dayId, foldDays, type DayKey, type DayValues } from '../domain/rollup-days.ts';
import type { RollupKey, RollupValues } from '../domain/rollup-keys.ts';
import { MAX_OR_CLAUSES, READ_BATCH, writeUnordered } from './bulk-chunks.ts';
import { compareAndSet, readRevs } from './rollup-cas.ts';
import type { RollupDayDoc, RollupDoc, RollupMonthDoc, RollupPathDayDoc } from './rollup-models.ts';

/** A write any rollup collection accepts: the version guard only names `_id` and `version`, which they all have. */
export type RollupUpsert = AnyBulkWriteOperation<RollupDoc> &
  AnyBulkWriteOperation<RollupDayDoc> &
  AnyBulkWriteOperation<RollupMonthDoc> &
  AnyBulkWriteOperation<RollupPathDayDoc>;

/**
 * The write that makes `_id` hold exactly `fields`, unless a newer computation is stored: an
 * older one (read before the newest page view change) must not overwrite a newer one that
 * landed first, so the filter skips it and the upsert collides on `_id` and is dropped.
 */
export function versionedUpsert(id: string, version: number, fields: Document): RollupUpsert {
  const v = new Date(version);
  return {
    updateOne: {
      filter: { _id: id, $or: [{ version: { $exists: false } }, { version: { $lte: v } }] },
      update: { $set: { ...fields, version: v } },
      upsert: true,
    },
  };
}

/** A user-day's stored fields (all but `_id`, `version`, `rev`). */
export const dayFields = (key: DayKey, v: DayValues): Document => ({
  agencyId: key.agencyId,
  userId: key.userId,
  locationId: key.locationId,
  day: new Date(key.day),
  slots: v.slots,
  pageviews: v.pageviews,
  engagedMs: v.engagedMs,
  lastSeenAt: new Date(v.lastSeenAt),
  userName: v.userName,
});

/** A stored user-day as the domain's values. */
export const dayValuesOf = (d: RollupDayDoc): { day: number; values: DayValues } => ({
  day: d.day.getTime(),
  values: {
    slots: d.slots,
    pageviews: d.pageviews,
    engagedMs: d.engagedMs,
    lastSeenAt: d.lastSeenAt.getTime(),
    userName: d.userName,
    version: d.version.getTime(),
  },
});

/**
 * Runs writes whose version-guarded upserts may lose to newer ones (E11000 on `_id`): that is
 * fine. In chunks of write commands (bulk-chunks.ts), so one rollup run is not one long stretch
 * of encoding.
 */
export async function bulkIgnoringStale<T extends Document>(
  coll: Collection<T>,
  ops: AnyBulkWriteOperation<T>[],
): Promise<void> {
  await writeUnordered(coll, ops, { duplicatesLost: true });
}

/**
 * What the levels above read of a rollup: never its `_id` (the longest string in it, rebuilt
 * from the key when needed), nor its path for the user-days. A run reads every rollup of the
 * buckets it recomputed (and a rebuild every rollup of whole days), so what is not decoded counts.
 */
export const ROLLUP_READ = { _id: 0 } as const;
export const DAY_READ = { _id: 0, path: 0 } as const;

/** A stored rollup (read with `ROLLUP_READ` or less: no `_id`, maybe no path) as the domain's key and values. */
export const rollupEntry = (
  d: Omit<RollupDoc, '_id' | 'path'> & { path?: string },
): { key: RollupKey; values: RollupValues } => ({
  key: {
    agencyId: d.agencyId,
    userId: d.userId,
    locationId: d.locationId ?? null,
    path: d.path ?? '',
    bucketStart: d.bucketStart.getTime(),
  },
  values: {
    pageviews: d.pageviews,
    engagedMs: d.engagedMs,
    lastSeenAt: d.lastSeenAt.getTime(),
    userName: d.userName,
    version: d.version.getTime(),
  },
});

/**
 * Rebuilds user-days whole from the per-path rollups of those days: their revisions read first,
 * then the rollups, then compare-and-set (rollup-cas.ts), like every write of this level. A
 * day left with no rollup is deleted. Returns the ids whose write lost to another.
 */
export async function rebuildDays(
  rollups: Collection<RollupDoc>,
  days: Collection<RollupDayDoc>,
  keys: DayKey[],
): Promise<string[]> {
  const wanted = new Map(keys.map((k) => [dayId(k), k]));
  const revs = await readRevs(days, [...wanted.keys()]);
  const clauses = new Map<string, Map<string, Document>>();
  for (const k of wanted.values()) {
    const list = clauses.get(k.agencyId) ?? new Map<string, Document>();
    // One read per (user, day) whatever the locations.
    list.set(JSON.stringify([k.userId, k.day]), {
      userId: k.userId,
      bucketStart: { $gte: new Date(k.day), $lt: new Date(k.day + DAY_MS) },
    });
    clauses.set(k.agencyId, list);
  }
  const folded: ReturnType<typeof foldDays> = new Map();
  for (const [agencyId, byUserDay] of clauses) {
    const list = [...byUserDay.values()];
    for (let i = 0; i < list.length; i += MAX_OR_CLAUSES) {
      // { agencyId, userId, bucketStart } index per branch.
      const docs = await rollups
        .find<Omit<RollupDoc, '_id' | 'path'>>(
          { agencyId, $or: list.slice(i, i + MAX_OR_CLAUSES) },
          { projection: DAY_READ, batchSize: READ_BATCH },
        )
        .toArray();
      foldDays(docs.map(rollupEntry), folded);
    }
  }
  const rewrites = [...wanted].map(([id, k]) => {
    const v = folded.get(id)?.values;
    return { id, rev: revs.get(id), next: v ? { ...dayFields(k, v), version: new Date(v.version) } : null };
  });
  return compareAndSet(days, rewrites);
}
