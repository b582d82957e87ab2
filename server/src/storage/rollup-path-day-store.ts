import { Binary, type AnyBulkWriteOperation, type Collection, type Document } from 'mongodb';
import { DAY_MS, dayOf } from '../domain/rollup-days.ts';
import {
  foldPathDay,
  pathDayId,
  type PathCell,
  type PathDayKey,
  type PathDayState,
  type PathDayValues,
} from '../domain/rollup-path-days.ts';
import type { RollupKey, RollupValues } from '../domain/rollup-keys.ts';
import type { StatsScope } from '../domain/stats-ports.ts';
import { READ_BATCH } from './bulk-chunks.ts';
import { newRev } from './rollup-cas.ts';
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
      const fields = { ...pathDayFields(k, v), version: new Date(v.version), rev: newRev() };
      if (force) ops.push({ replaceOne: { filter: { _id: id }, replacement: fields, upsert: true } });
      else ops.push(versionedUpsert(id, v.version, fields));
    }
  }
  await bulkIgnoringStale(pathDays, ops);
}

const CELL_BYTES = 17;

/** Packs cells as RollupPathDayDoc documents them. */
export function packCells(cells: PathCell[]): Binary {
  const buf = Buffer.alloc(cells.length * CELL_BYTES);
  cells.forEach((c, i) => {
    const o = i * CELL_BYTES;
    buf.writeUInt32LE(c.path, o);
    buf.writeUInt8(c.slot, o + 4);
    buf.writeUInt32LE(c.p, o + 5);
    buf.writeDoubleLE(c.m, o + 9);
  });
  return new Binary(buf);
}

export function unpackCells(bin: Binary): PathCell[] {
  const buf = Buffer.from(bin.buffer.buffer, bin.buffer.byteOffset, bin.position);
  const out: PathCell[] = [];
  for (let o = 0; o + CELL_BYTES <= buf.length; o += CELL_BYTES)
    out.push({
      path: buf.readUInt32LE(o),
      slot: buf.readUInt8(o + 4),
      p: buf.readUInt32LE(o + 5),
      m: buf.readDoubleLE(o + 9),
    });
  return out;
}

/** A path-day's stored fields (all but `_id`, `version`, `rev`). */
export const pathDayFields = (k: PathDayKey, v: PathDayState): Omit<RollupPathDayDoc, '_id' | 'version' | 'rev'> => ({
  agencyId: k.agencyId,
  locationId: k.locationId,
  day: new Date(k.day),
  paths: v.paths,
  cells: packCells(v.cells),
});

/** A stored path-day with its cells; null for one stored before cells existed (rebuilt whole). */
export const pathDayStateOf = (d: RollupPathDayDoc): PathDayState | null =>
  d.cells ? { paths: d.paths, cells: unpackCells(d.cells), version: d.version.getTime() } : null;

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
  const read = { projection: { cells: 0, rev: 0 }, batchSize: READ_BATCH };
  const docs = await pathDays.find(pathDayQuery(scope, from, to), read).toArray();
  return docs.map((d) => ({ paths: d.paths, version: d.version.getTime() }));
}
