import type { Binary, Collection, Db, IndexDescription } from 'mongodb';
import type { Connection } from 'mongoose';

/**
 * One 15-minute rollup (see domain/rollup-keys.ts for the grain). `_id` is `rollupId(key)`.
 * Always written whole with `$set` from the page views themselves, never incremented, except
 * by the seed tool, which adds the page views it has just generated.
 */
export interface RollupDoc {
  _id: string;
  agencyId: string;
  userId: string;
  locationId: string | null;
  path: string;
  bucketStart: Date;
  pageviews: number;
  engagedMs: number;
  lastSeenAt: Date;
  userName: string;
  /** Latest `updatedAt` of the page views it was computed from: newer computations win. */
  version: Date;
}

/** One user's UTC day of 15-minute slots (see domain/rollup-days.ts); `_id` is `dayId(key)`. */
export interface RollupDayDoc {
  _id: string;
  agencyId: string;
  userId: string;
  locationId: string | null;
  day: Date;
  /** Slot index (0–95 from the UTC day start) → page views `p`, engaged ms `m`, last seen `l` (epoch ms). */
  slots: Record<string, { p: number; m: number; l?: number }>;
  pageviews: number;
  engagedMs: number;
  lastSeenAt: Date;
  userName: string;
  version: Date;
}

/**
 * One user's UTC month of 15-minute slots (see domain/rollup-months.ts); `_id` is `monthId(key)`.
 * `slots` is packed: 18 bytes a non-empty slot, little-endian (slot index u16, page views u32,
 * engaged ms u32, last seen as a float64 epoch ms), in time order. Packed, a
 * month of slots is one BSON value instead of thousands, which is what makes reading it cheap.
 */
export interface RollupMonthDoc {
  _id: string;
  agencyId: string;
  userId: string;
  locationId: string | null;
  month: Date;
  slots: Binary;
  pageviews: number;
  engagedMs: number;
  lastSeenAt: Date;
  userName: string;
  version: Date;
}

/**
 * One location's UTC day with every path (see domain/rollup-path-days.ts); `_id` is
 * `pathDayId(key)`. Per path: page views `p`, engaged ms `m`, the users `u`.
 */
export interface RollupPathDayDoc {
  _id: string;
  agencyId: string;
  locationId: string | null;
  day: Date;
  paths: { path: string; p: number; m: number; u: string[] }[];
  version: Date;
}

/** Job bookkeeping: leases (`owner`, `leaseUntil`) and watermarks, one document per job. */
export interface MetaDoc {
  _id: string;
  owner?: string | null;
  leaseUntil?: Date;
  watermark?: Date;
}

export interface StatsCollections {
  rollups: Collection<RollupDoc>;
  days: Collection<RollupDayDoc>;
  months: Collection<RollupMonthDoc>;
  pathDays: Collection<RollupPathDayDoc>;
  meta: Collection<MetaDoc>;
}

/**
 * Rollup indexes: the scope (agency, optionally a user, location or path) then time, so every
 * statistics query is one index range. Names are fixed so explain output can be asserted.
 */
export const ROLLUP_INDEXES: IndexDescription[] = [
  { key: { agencyId: 1, bucketStart: 1 }, name: 'agency_bucket' },
  { key: { agencyId: 1, userId: 1, bucketStart: 1 }, name: 'agency_user_bucket' },
  { key: { agencyId: 1, locationId: 1, bucketStart: 1 }, name: 'agency_location_bucket' },
  { key: { agencyId: 1, path: 1, bucketStart: 1 }, name: 'agency_path_bucket' },
];

/** User-day indexes: the same scopes, then the day. */
export const DAY_INDEXES: IndexDescription[] = [
  { key: { agencyId: 1, day: 1 }, name: 'agency_day' },
  { key: { agencyId: 1, userId: 1, day: 1 }, name: 'agency_user_day' },
  { key: { agencyId: 1, locationId: 1, day: 1 }, name: 'agency_location_day' },
];

/** User-month indexes: the same scopes, then the month. */
export const MONTH_INDEXES: IndexDescription[] = [
  { key: { agencyId: 1, month: 1 }, name: 'agency_month' },
  { key: { agencyId: 1, userId: 1, month: 1 }, name: 'agency_user_month' },
  { key: { agencyId: 1, locationId: 1, month: 1 }, name: 'agency_location_month' },
];

/** Path-day indexes: the agency or one location, then the day. */
export const PATH_DAY_INDEXES: IndexDescription[] = [
  { key: { agencyId: 1, day: 1 }, name: 'agency_day' },
  { key: { agencyId: 1, locationId: 1, day: 1 }, name: 'agency_location_day' },
];

/** The driver database behind a mongoose connection (mongoose bundles its own driver copy). */
export function dbOf(conn: Connection): Db {
  if (!conn.db) throw new Error('database connection is not open');
  return conn.db as unknown as Db;
}

/** The statistics collections, with their indexes created (idempotent). */
export async function openStatsCollections(conn: Connection): Promise<StatsCollections> {
  const db = dbOf(conn);
  const rollups = db.collection<RollupDoc>('rollups');
  const days = db.collection<RollupDayDoc>('rollup_days');
  const months = db.collection<RollupMonthDoc>('rollup_months');
  const pathDays = db.collection<RollupPathDayDoc>('rollup_path_days');
  const meta = db.collection<MetaDoc>('meta');
  await Promise.all([
    pathDays.createIndexes(PATH_DAY_INDEXES),
    rollups.createIndexes(ROLLUP_INDEXES),
    days.createIndexes(DAY_INDEXES),
    months.createIndexes(MONTH_INDEXES),
  ]);
  return { rollups, days, months, pathDays, meta };
}
