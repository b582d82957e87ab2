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

/**
 * A user's day: 15-minute slots (index from the UTC day start) with page views `p`, engaged ms
 * `m` and the latest last-seen instant `l` of the page views that started in the slot.
 */
export interface DayValues {
  slots: Record<string, { p: number; m: number; l?: number }>;
  pageviews: number;
  engagedMs: number;
  lastSeenAt: number;
  userName: string;
  /** Latest version of the rollups (or page views) it was built from. */
  version: number;
}

export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** The 15-minute slot of its UTC day (0 to SLOTS_PER_DAY - 1) an instant falls in. */
export const slotOfDay = (ms: number): number => Math.floor((ms - dayOf(ms)) / ROLLUP_BUCKET_MS);

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
    const slot = String(slotOfDay(key.bucketStart));
    const s = (d.slots[slot] ??= { p: 0, m: 0, l: v.lastSeenAt });
    s.p += v.pageviews;
    s.m += v.engagedMs;
    s.l = Math.max(s.l ?? 0, v.lastSeenAt);
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
