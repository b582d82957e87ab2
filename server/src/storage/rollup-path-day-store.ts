import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import { DAY_MS, dayOf } from '../domain/rollup-days.ts';
import { foldPathDay, pathDayId, type PathDayKey, type PathDayValues } from '../domain/rollup-path-days.ts';
import type { RollupKey, RollupValues } from '../domain/rollup-keys.ts';
import type { StatsScope } from '../domain/stats-ports.ts';
import { READ_BATCH } from './bulk-chunks.ts';
import { appendTo } from './group.ts';
import { bulkIgnoringStale, ROLLUP_READ, rollupEntry, versionedUpsert } from './rollup-day-store.ts';
import type { RollupDoc, RollupPathDayDoc } from './rollup-models.ts';

/** `$or` branches per query, as for the user-days. */
const MAX_CLAUSES = 200;

/**
 * Rebuilds location path-days from the rollups of those days (after those were recomputed),
 * with the same version-guarded `$set` as the other levels. A day left with no rollup is deleted.
 */
export async function recomputePathDays(
  rollups: Collection<RollupDoc>,
  pathDays: Collection<RollupPathDayDoc>,
  keys: PathDayKey[],
  /** Write even over a newer version: after an erasure the remaining rollups are older than what went. */
  force = false,
): Promise<void> {
  const wanted = new Map(keys.map((k) => [pathDayId(k), k]));
  const byAgency = new Map<string, PathDayKey[]>();
  for (const k of wanted.values()) appendTo(byAgency, k.agencyId, k);
  const found = new Map<string, { key: RollupKey; values: RollupValues }[]>();
  for (const [agencyId, list] of byAgency) {
    for (let i = 0; i < list.length; i += MAX_CLAUSES) {
      // { agencyId, locationId, bucketStart } index per branch.
      const $or = list.slice(i, i + MAX_CLAUSES).map((k) => ({
        locationId: k.locationId,
        bucketStart: { $gte: new Date(k.day), $lt: new Date(k.day + DAY_MS) },
      }));
      const read = { projection: ROLLUP_READ, batchSize: READ_BATCH };
      for (const d of await rollups.find<Omit<RollupDoc, '_id'>>({ agencyId, $or }, read).toArray()) {
        const e = rollupEntry(d);
        const id = pathDayId({ agencyId, locationId: e.key.locationId, day: dayOf(e.key.bucketStart) });
        appendTo(found, id, e);
      }
    }
  }
  const ops: AnyBulkWriteOperation<RollupPathDayDoc>[] = [];
  for (const [id, k] of wanted) {
    const v = foldPathDay(found.get(id) ?? []);
    if (!v) ops.push({ deleteOne: { filter: { _id: id } } });
    else {
      const fields = { agencyId: k.agencyId, locationId: k.locationId, day: new Date(k.day), paths: v.paths };
      if (force) {
        const replacement = { ...fields, version: new Date(v.version) };
        ops.push({ replaceOne: { filter: { _id: id }, replacement, upsert: true } });
      } else ops.push(versionedUpsert(id, v.version, fields));
    }
  }
  await bulkIgnoringStale(pathDays, ops);
}

/** The filter for path-days of whole UTC days in [from, to) in scope (no user, no path). */
export function pathDayQuery(scope: StatsScope, from: number, to: number): Document {
  const filter: Document = { agencyId: scope.agencyId };
  if (scope.locationId) filter.locationId = scope.locationId;
  filter.day = { $gte: new Date(from), $lt: new Date(to) };
  return filter;
}

export async function readPathDays(
  pathDays: Collection<RollupPathDayDoc>,
  scope: StatsScope,
  from: number,
  to: number,
): Promise<PathDayValues[]> {
  const docs = await pathDays.find(pathDayQuery(scope, from, to), { batchSize: READ_BATCH }).toArray();
  return docs.map((d) => ({ paths: d.paths, version: d.version.getTime() }));
}
