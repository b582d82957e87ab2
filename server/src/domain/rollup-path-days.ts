import { DAY_MS, dayOf } from './rollup-days.ts';
import type { RollupKey, RollupValues } from './rollup-keys.ts';
import type { PageRow } from './stats-ports.ts';

/**
 * The rollups once more, per location and UTC day with every path in one document: the layer
 * `/top-pages` reads for whole days. A month of a busy location is tens of thousands of per-path
 * rollups but 30 path-days, and the number of documents is what a read costs. The users of
 * each path are kept (distinct counts must be merged across days, never added).
 */
export interface PathDayKey {
  agencyId: string;
  locationId: string | null;
  /** Epoch ms of the UTC day start. */
  day: number;
}

export interface PathDayValues {
  /** Per path: page views `p`, engaged ms `m`, users `u` (sorted). */
  paths: { path: string; p: number; m: number; u: string[] }[];
  version: number;
}

export function pathDayId(k: PathDayKey): string {
  return JSON.stringify([k.agencyId, k.locationId, k.day]);
}

export const pathDayKeyOf = (k: RollupKey): PathDayKey => ({
  agencyId: k.agencyId,
  locationId: k.locationId,
  day: dayOf(k.bucketStart),
});

/** Folds one location-day's rollups (any order) into its values; null when there are none. */
export function foldPathDay(rollups: Iterable<{ key: RollupKey; values: RollupValues }>): PathDayValues | null {
  const byPath = new Map<string, { p: number; m: number; u: Set<string> }>();
  let version = -1;
  for (const { key, values } of rollups) {
    const cur = byPath.get(key.path) ?? { p: 0, m: 0, u: new Set<string>() };
    cur.p += values.pageviews;
    cur.m += values.engagedMs;
    cur.u.add(key.userId);
    byPath.set(key.path, cur);
    version = Math.max(version, values.version);
  }
  if (version < 0) return null;
  const paths = [...byPath].map(([path, v]) => ({ path, p: v.p, m: v.m, u: [...v.u].sort() }));
  paths.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { paths, version };
}

/** Whole UTC days inside [from, to), and the parts before and after them. */
export function splitWholeDays(from: number, to: number): { days: [number, number] | null; edges: [number, number][] } {
  const lo = Math.ceil(from / DAY_MS) * DAY_MS;
  const hi = Math.floor(to / DAY_MS) * DAY_MS;
  if (lo >= hi) return { days: null, edges: from < to ? [[from, to]] : [] };
  const edges: [number, number][] = [];
  if (from < lo) edges.push([from, lo]);
  if (hi < to) edges.push([hi, to]);
  return { days: [lo, hi], edges };
}

/** Adds path-days up per path. */
export function pageRowsOfPathDays(days: Iterable<PathDayValues>): PageRow[] {
  const byPath = new Map<string, { pageviews: number; engagedMs: number; users: Set<string> }>();
  for (const d of days) {
    for (const x of d.paths) {
      const cur = byPath.get(x.path) ?? { pageviews: 0, engagedMs: 0, users: new Set<string>() };
      cur.pageviews += x.p;
      cur.engagedMs += x.m;
      for (const u of x.u) cur.users.add(u);
      byPath.set(x.path, cur);
    }
  }
  return [...byPath].map(([path, t]) => ({
    path,
    pageviews: t.pageviews,
    engagedMs: t.engagedMs,
    users: [...t.users],
  }));
}
