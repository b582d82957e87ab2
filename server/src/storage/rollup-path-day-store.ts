import { Binary, type Collection, type Document } from 'mongodb';
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
import { MAX_OR_CLAUSES, READ_BATCH } from './bulk-chunks.ts';
import { compareAndSet, readRevs } from './rollup-cas.ts';
import { appendTo } from './group.ts';
import { ROLLUP_READ, rollupEntry } from './rollup-day-store.ts';
import type { RollupDoc, RollupPathDayDoc } from './rollup-models.ts';

/**
 * Rebuilds location path-days whole from the rollups of those days: revisions read first, then
 * the rollups, then compare-and-set (rollup-cas.ts). A day left with no rollup is deleted.
 * Returns the ids whose write lost to another.
 */
export async function rebuildPathDays(
  rollups: Collection<RollupDoc>,
  pathDays: Collection<RollupPathDayDoc>,
  keys: PathDayKey[],
): Promise<string[]> {
  const wanted = new Map(keys.map((k) => [pathDayId(k), k]));
  const revs = await readRevs(pathDays, [...wanted.keys()]);
  const byAgency = new Map<string, PathDayKey[]>();
  for (const k of wanted.values()) appendTo(byAgency, k.agencyId, k);
  const found = new Map<string, { key: RollupKey; values: RollupValues }[]>();
  for (const [agencyId, list] of byAgency) {
    for (let i = 0; i < list.length; i += MAX_OR_CLAUSES) {
      // { agencyId, locationId, bucketStart } index per branch.
      const $or = list.slice(i, i + MAX_OR_CLAUSES).map((k) => ({
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
  const rewrites = [...wanted].map(([id, k]) => {
    const v = foldPathDay(found.get(id) ?? []);
    return { id, rev: revs.get(id), next: v ? { ...pathDayFields(k, v), version: new Date(v.version) } : null };
  });
  return compareAndSet(pathDays, rewrites);
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

/**
 * Largest path-day stored, estimated generously (UTF-8 at 3 bytes a character). Paths come
 * from tracked URLs, so a hostile tab can make a location-day hold any number of them; a
 * document past MongoDB's 16 MB would fail every rollup run for everyone. Past this size the
 * path-day is stored as `overflow` and `/top-pages` reads that location-day from its rollups.
 */
export const PATH_DAY_MAX_BYTES = 4 * 1024 * 1024;

function estimatedBytes(v: PathDayState): number {
  let n = v.cells.length * CELL_BYTES;
  for (const p of v.paths) {
    n += 3 * p.path.length + 48;
    for (const u of p.u) n += 3 * u.length + 8;
  }
  return n;
}

/** A path-day's stored fields (all but `_id`, `version`, `rev`): its paths, or the overflow marker. */
export function pathDayFields(k: PathDayKey, v: PathDayState): Omit<RollupPathDayDoc, '_id' | 'version' | 'rev'> {
  if (estimatedBytes(v) > PATH_DAY_MAX_BYTES) return overflowFields(k);
  return { ...where(k), paths: v.paths, cells: packCells(v.cells), overflow: false };
}

/** The overflow marker's fields. */
export const overflowFields = (k: PathDayKey): Omit<RollupPathDayDoc, '_id' | 'version' | 'rev'> => ({
  ...where(k),
  paths: [],
  cells: packCells([]),
  overflow: true,
});

const where = (k: PathDayKey) => ({ agencyId: k.agencyId, locationId: k.locationId, day: new Date(k.day) });

/**
 * A stored path-day with its cells; null when it cannot be merged into and must be rebuilt
 * whole: stored before cells existed, or cells that do not add up to its paths.
 */
export function pathDayStateOf(d: RollupPathDayDoc): PathDayState | null {
  if (!d.cells || !Array.isArray(d.paths)) return null;
  const cells = unpackCells(d.cells);
  const sums = d.paths.map(() => ({ p: 0, m: 0 }));
  for (const c of cells) {
    const sum = sums[c.path];
    if (!sum) return null;
    sum.p += c.p;
    sum.m += c.m;
  }
  // Paths written without their cells (by a hub from before cells, or damaged) do not add up.
  if (d.paths.some((x, i) => x.p !== sums[i]?.p || x.m !== sums[i]?.m)) return null;
  return { paths: d.paths, cells, version: d.version.getTime() };
}

/** The filter for path-days of whole UTC days in [from, to) in scope (no user, no path). */
export function pathDayQuery(scope: StatsScope, from: number, to: number): Document {
  const filter: Document = { agencyId: scope.agencyId };
  if (scope.locationId) filter.locationId = scope.locationId;
  filter.day = { $gte: new Date(from), $lt: new Date(to) };
  return filter;
}

/** The path-days of whole UTC days in [from, to) in scope, and the location-days stored as overflow. */
export async function readPathDays(
  pathDays: Collection<RollupPathDayDoc>,
  scope: StatsScope,
  from: number,
  to: number,
): Promise<{ days: PathDayValues[]; overflow: { locationId: string | null; day: number }[] }> {
  const read = { projection: { cells: 0, rev: 0 }, batchSize: READ_BATCH };
  const docs = await pathDays.find(pathDayQuery(scope, from, to), read).toArray();
  const days: PathDayValues[] = [];
  const overflow: { locationId: string | null; day: number }[] = [];
  for (const d of docs) {
    if (d.overflow) overflow.push({ locationId: d.locationId ?? null, day: d.day.getTime() });
    else days.push({ paths: d.paths, version: d.version.getTime() });
  }
  return { days, overflow };
}
