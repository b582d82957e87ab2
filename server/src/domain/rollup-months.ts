import type { DayKey, DayValues } from './rollup-days.ts';
import { ROLLUP_BUCKET_MS } from './rollup-keys.ts';
import type { BucketRow, UserRow } from './stats-ports.ts';

/**
 * The same 15-minute slots once more, packed per user and UTC month: the layer long ranges
 * read. A year of a busy agency is ~15k user-days but ~600 user-months, and the number of
 * documents is what a read costs (each is fetched, matched, cloned and decoded). Slots keep the
 * 15-minute grain, so calendar buckets of any zone and any 15-minute-aligned range are exact.
 * Months are rebuilt from their user-days, never incremented.
 */
export interface MonthKey {
  agencyId: string;
  userId: string;
  locationId: string | null;
  /** Epoch ms of the UTC month start. */
  month: number;
}

/** One non-empty slot: its index from the month start, page views, engaged ms, last seen (epoch ms). */
export interface MonthSlot {
  slot: number;
  p: number;
  m: number;
  l: number;
}

export interface MonthValues {
  /** Non-empty slots in time order. */
  slots: MonthSlot[];
  pageviews: number;
  engagedMs: number;
  lastSeenAt: number;
  userName: string;
  version: number;
}

export const monthOf = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

export const nextMonth = (month: number): number => {
  const d = new Date(month);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

export function monthId(k: MonthKey): string {
  return JSON.stringify([k.agencyId, k.userId, k.locationId, k.month]);
}

export const monthKeyOf = (k: DayKey): MonthKey => ({
  agencyId: k.agencyId,
  userId: k.userId,
  locationId: k.locationId,
  month: monthOf(k.day),
});

/** Packs the user-days of one month (any order) into its month values. */
export function foldMonth(days: Iterable<{ day: number; values: DayValues }>): MonthValues | null {
  const slots: MonthSlot[] = [];
  let v: MonthValues | null = null;
  for (const { day, values: d } of days) {
    v ??= { slots, pageviews: 0, engagedMs: 0, lastSeenAt: d.lastSeenAt, userName: d.userName, version: 0 };
    const base = (day - monthOf(day)) / ROLLUP_BUCKET_MS;
    for (const [slot, s] of Object.entries(d.slots)) {
      slots.push({ slot: base + Number(slot), p: s.p, m: s.m, l: s.l ?? d.lastSeenAt });
    }
    v.pageviews += d.pageviews;
    v.engagedMs += d.engagedMs;
    if (d.lastSeenAt >= v.lastSeenAt) {
      v.lastSeenAt = d.lastSeenAt;
      v.userName = d.userName;
    }
    v.version = Math.max(v.version, d.version);
  }
  slots.sort((a, b) => a.slot - b.slot);
  return v;
}

/** A stored month with its user: what the readers below take. */
export interface MonthRow {
  userId: string;
  locationId: string | null;
  month: number;
  userName: string;
  slots: MonthSlot[];
}

/** Adds user-months into calendar buckets [b[i], b[i+1]) (15-minute aligned boundaries). */
export function bucketMonths(months: Iterable<MonthRow>, boundaries: number[]): BucketRow[] {
  const rows = boundaries.slice(0, -1).map(() => ({ pageviews: 0, engagedMs: 0, users: new Set<string>() }));
  const lo = boundaries[0] as number;
  const hi = boundaries[boundaries.length - 1] as number;
  for (const mo of months) {
    let a = 0;
    for (const s of mo.slots) {
      const t = mo.month + s.slot * ROLLUP_BUCKET_MS;
      if (t < lo || t >= hi || s.p === 0) continue;
      // Slots come in time order, so the bucket index only moves forward.
      while (a < rows.length - 1 && t >= (boundaries[a + 1] as number)) a++;
      const row = rows[a] as (typeof rows)[number];
      row.pageviews += s.p;
      row.engagedMs += s.m;
      row.users.add(mo.userId);
    }
  }
  return rows.map((r) => ({ pageviews: r.pageviews, engagedMs: r.engagedMs, users: [...r.users] }));
}

/** Totals per (user, location) of the slots in [from, to) (15-minute aligned). */
export function userTotalsOfMonths(months: Iterable<MonthRow>, from: number, to: number): UserRow[] {
  const byUser = new Map<string, UserRow & { at: number }>();
  for (const mo of months) {
    for (const s of mo.slots) {
      const t = mo.month + s.slot * ROLLUP_BUCKET_MS;
      if (t < from || t >= to || s.p === 0) continue;
      const id = JSON.stringify([mo.userId, mo.locationId]);
      let row = byUser.get(id);
      if (!row) {
        row = {
          userId: mo.userId,
          locationId: mo.locationId,
          name: mo.userName,
          pageviews: 0,
          engagedMs: 0,
          lastSeen: new Date(0),
          at: 0,
        };
        byUser.set(id, row);
      }
      row.pageviews += s.p;
      row.engagedMs += s.m;
      if (s.l >= row.at) {
        row.at = s.l;
        row.name = mo.userName;
      }
    }
  }
  return [...byUser.values()].map(({ at, ...r }) => ({ ...r, lastSeen: new Date(at) }));
}
