import type { Binary, Collection } from 'mongodb';
import { Schema, type Connection, type Model } from 'mongoose';
import { collectionOf } from './models.ts';

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
  /** This write's revision, for compare-and-set (storage/rollup-cas.ts); absent on older documents. */
  rev?: string;
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
  rev?: string;
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
  /**
   * Per path and 15-minute slot, packed: 17 bytes a cell, little-endian (index in `paths` u32,
   * slot u8, page views u32, engaged ms float64), by path then slot. What a rollup run replaces
   * for the slots it recomputed; readers leave it out. Absent on older documents.
   */
  cells?: Binary;
  /** Too large to store (see PATH_DAY_MAX_BYTES): no paths; readers use the rollups of this location-day. */
  overflow?: boolean;
  version: Date;
  rev?: string;
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

const scope = {
  _id: String,
  agencyId: { type: String, required: true },
  locationId: { type: String, default: null },
} as const;
const totals = { pageviews: Number, engagedMs: Number, lastSeenAt: Date, userName: String, version: Date } as const;
const options = (collection: string) => ({ versionKey: false, collection, autoIndex: false }) as const;

/**
 * Each statistics collection's shape and indexes, declared once as a mongoose schema: the
 * scope (agency, optionally a user, location or path) then time, so every statistics query is
 * one index range. Index names are fixed so explain output can be asserted. Reads and writes go
 * through the typed driver collections (see README.md): these are the hot batched paths.
 */
const rollupSchema = new Schema<RollupDoc>(
  { ...scope, userId: { type: String, required: true }, path: String, bucketStart: Date, ...totals },
  options('rollups'),
);
rollupSchema.index({ agencyId: 1, bucketStart: 1 }, { name: 'agency_bucket' });
rollupSchema.index({ agencyId: 1, userId: 1, bucketStart: 1 }, { name: 'agency_user_bucket' });
rollupSchema.index({ agencyId: 1, locationId: 1, bucketStart: 1 }, { name: 'agency_location_bucket' });
rollupSchema.index({ agencyId: 1, path: 1, bucketStart: 1 }, { name: 'agency_path_bucket' });

const daySchema = new Schema<RollupDayDoc>(
  { ...scope, userId: { type: String, required: true }, day: Date, slots: Schema.Types.Mixed, ...totals, rev: String },
  options('rollup_days'),
);
daySchema.index({ agencyId: 1, day: 1 }, { name: 'agency_day' });
daySchema.index({ agencyId: 1, userId: 1, day: 1 }, { name: 'agency_user_day' });
daySchema.index({ agencyId: 1, locationId: 1, day: 1 }, { name: 'agency_location_day' });

const monthSchema = new Schema<RollupMonthDoc>(
  { ...scope, userId: { type: String, required: true }, month: Date, slots: Buffer, ...totals, rev: String },
  options('rollup_months'),
);
monthSchema.index({ agencyId: 1, month: 1 }, { name: 'agency_month' });
monthSchema.index({ agencyId: 1, userId: 1, month: 1 }, { name: 'agency_user_month' });
monthSchema.index({ agencyId: 1, locationId: 1, month: 1 }, { name: 'agency_location_month' });

const pathDaySchema = new Schema<RollupPathDayDoc>(
  { ...scope, day: Date, paths: Schema.Types.Mixed, cells: Buffer, overflow: Boolean, version: Date, rev: String },
  options('rollup_path_days'),
);
pathDaySchema.index({ agencyId: 1, day: 1 }, { name: 'agency_day' });
pathDaySchema.index({ agencyId: 1, locationId: 1, day: 1 }, { name: 'agency_location_day' });

const metaSchema = new Schema<MetaDoc>(
  { _id: String, owner: String, leaseUntil: Date, watermark: Date },
  options('meta'),
);

/** The model of `name` on this connection, registered once. */
function modelOf<T>(conn: Connection, name: string, schema: Schema<T>): Model<T> {
  return (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
}

/** The statistics collections, with their indexes created (idempotent). */
export async function openStatsCollections(conn: Connection): Promise<StatsCollections> {
  const models = [
    modelOf(conn, 'Rollup', rollupSchema),
    modelOf(conn, 'RollupDay', daySchema),
    modelOf(conn, 'RollupMonth', monthSchema),
    modelOf(conn, 'RollupPathDay', pathDaySchema),
    modelOf(conn, 'Meta', metaSchema),
  ] as const;
  await Promise.all(models.map((m) => m.createIndexes()));
  const [rollups, days, months, pathDays, meta] = models;
  return {
    rollups: collectionOf(conn, rollups),
    days: collectionOf(conn, days),
    months: collectionOf(conn, months),
    pathDays: collectionOf(conn, pathDays),
    meta: collectionOf(conn, meta),
  };
}
