import { ROLLUP_BUCKET_MS, type RollupKey, type RollupValues } from './rollup-keys.ts';

/**
 * The same 15-minute buckets, packed per user and UTC day (without the path): the layout
 * summaries read. A year of one busy agency is ~600k per-path rollups but ~15k user-days, so a
 * monthly chart reads 40 times fewer documents; slots keep the 15-minute grain, so calendar
 * buckets of any zone are still exact. Filtering by path needs the per-path rollups.
 */
export const DAY_MS = 86_400_000;
export const SLOTS_PER_DAY = DAY_MS / ROLLUP_BUCKET_MS;

export interface DayKey {
  agencyId: string;
  userId: string;
  locationId: string | null;
  /** Epoch ms of the UTC day start. */
  day: number;
}

/** A user's day: 15-minute slots (index from the UTC day start) with page views and engaged ms. */
export interface DayValues {
  slots: Record<string, { p: number; m: number }>;
  pageviews: number;
  engagedMs: number;
  lastSeenAt: number;
  userName: string;
  /** Latest version of the rollups (or page views) it was built from. */
  version: number;
}

export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

export function dayId(k: DayKey): string {
  return JSON.stringify([k.agencyId, k.userId, k.locationId, k.day]);
}

export const dayKeyOf = (k: RollupKey): DayKey => ({
  agencyId: k.agencyId,
  userId: k.userId,
  locationId: k.locationId,
  day: dayOf(k.bucketStart),
});

/** Packs 15-minute rollups (any paths) into user-days, keyed by `dayId`. */
export function foldDays(
  rollups: Iterable<{ key: RollupKey; values: RollupValues }>,
  into = new Map<string, { key: DayKey; values: DayValues }>(),
) {
  for (const { key, values: v } of rollups) {
    const dk = dayKeyOf(key);
    const id = dayId(dk);
    let cur = into.get(id);
    if (!cur) {
      cur = {
        key: dk,
        values: {
          slots: {},
          pageviews: 0,
          engagedMs: 0,
          lastSeenAt: v.lastSeenAt,
          userName: v.userName,
          version: v.version,
        },
      };
      into.set(id, cur);
    }
    const d = cur.values;
    const slot = String((key.bucketStart - dk.day) / ROLLUP_BUCKET_MS);
    const s = (d.slots[slot] ??= { p: 0, m: 0 });
    s.p += v.pageviews;
    s.m += v.engagedMs;
    d.pageviews += v.pageviews;
    d.engagedMs += v.engagedMs;
    if (v.lastSeenAt >= d.lastSeenAt) {
      d.lastSeenAt = v.lastSeenAt;
      d.userName = v.userName;
    }
    d.version = Math.max(d.version, v.version);
  }
  return into;
}

/**
 * Adds user-days into calendar buckets: slot start t counts in bucket i when b[i] <= t < b[i+1]
 * (boundaries are 15-minute aligned, so a slot never straddles two buckets).
 */
export function bucketDays(
  days: Iterable<{ userId: string; day: number; slots: DayValues['slots'] }>,
  boundaries: number[],
) {
  const rows = boundaries.slice(0, -1).map(() => ({ pageviews: 0, engagedMs: 0, users: new Set<string>() }));
  const lo = boundaries[0] as number;
  const hi = boundaries[boundaries.length - 1] as number;
  for (const d of days) {
    for (const [slot, s] of Object.entries(d.slots)) {
      const t = d.day + Number(slot) * ROLLUP_BUCKET_MS;
      if (t < lo || t >= hi || s.p === 0) continue;
      let a = 0;
      let b = boundaries.length - 1;
      while (b - a > 1) {
        const mid = (a + b) >> 1;
        if (t < (boundaries[mid] as number)) b = mid;
        else a = mid;
      }
      const row = rows[a] as (typeof rows)[number];
      row.pageviews += s.p;
      row.engagedMs += s.m;
      row.users.add(d.userId);
    }
  }
  return rows.map((r) => ({ pageviews: r.pageviews, engagedMs: r.engagedMs, users: [...r.users] }));
}
