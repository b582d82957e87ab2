import { DAY_MS, dayOf, slotOfDay } from './rollup-days.ts';
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

/** Page views and engaged ms of one path (its index in `paths`) in one 15-minute slot of the day. */
export interface PathCell {
  path: number;
  slot: number;
  p: number;
  m: number;
}

/** A path-day as the rollup job keeps it: with its cells, so a run can replace just the slots it recomputed. */
export interface PathDayState extends PathDayValues {
  /** By path index, then slot. */
  cells: PathCell[];
}

export function pathDayId(k: PathDayKey): string {
  return JSON.stringify([k.agencyId, k.locationId, k.day]);
}

export const pathDayKeyOf = (k: RollupKey): PathDayKey => ({
  agencyId: k.agencyId,
  locationId: k.locationId,
  day: dayOf(k.bucketStart),
});

/** What a path-day is folded into: per path, its slots and its users. */
export class PathDayFold {
  private readonly byPath = new Map<string, { slots: Map<number, { p: number; m: number }>; u: Set<string> }>();
  private version = -1;

  private entry(path: string) {
    let e = this.byPath.get(path);
    if (!e) this.byPath.set(path, (e = { slots: new Map(), u: new Set() }));
    return e;
  }

  /** Adds sums to one slot of a path. */
  addCell(path: string, slot: number, p: number, m: number, version: number): void {
    const c = this.entry(path).slots.get(slot);
    if (c) {
      c.p += p;
      c.m += m;
    } else this.entry(path).slots.set(slot, { p, m });
    this.version = Math.max(this.version, version);
  }

  addUsers(path: string, users: Iterable<string>): void {
    const u = this.entry(path).u;
    for (const x of users) u.add(x);
  }

  addRollup({ key, values }: { key: RollupKey; values: RollupValues }): void {
    this.addCell(key.path, slotOfDay(key.bucketStart), values.pageviews, values.engagedMs, values.version);
    this.entry(key.path).u.add(key.userId);
  }

  /** The path-day, paths in order, each path's totals the sum of its slots; null when no slot is left. */
  result(minVersion = -1): PathDayState | null {
    const names = [...this.byPath].filter(([, e]) => e.slots.size > 0).map(([path]) => path);
    if (names.length === 0) return null;
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const paths: PathDayState['paths'] = [];
    const cells: PathCell[] = [];
    names.forEach((path, i) => {
      const e = this.byPath.get(path) as { slots: Map<number, { p: number; m: number }>; u: Set<string> };
      let p = 0;
      let m = 0;
      for (const [slot, c] of [...e.slots].sort((a, b) => a[0] - b[0])) {
        cells.push({ path: i, slot, p: c.p, m: c.m });
        p += c.p;
        m += c.m;
      }
      paths.push({ path, p, m, u: [...e.u].sort() });
    });
    return { paths, cells, version: Math.max(this.version, minVersion) };
  }
}

/** Folds one location-day's rollups (any order) into its values; null when there are none. */
export function foldPathDay(rollups: Iterable<{ key: RollupKey; values: RollupValues }>): PathDayState | null {
  const fold = new PathDayFold();
  for (const r of rollups) fold.addRollup(r);
  return fold.result();
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
