/**
 * The rollup grain, as pure functions.
 *
 * Rollups are 15-minute buckets per (agencyId, userId, locationId, path, bucketStart). Every
 * IANA zone offset in use is a multiple of 15 minutes (+5:30 Kolkata, +5:45 Kathmandu, +12:45
 * Chatham, +9:30/+10:30 Adelaide), so every calendar day, week and month boundary of ANY zone
 * falls on a 15-minute UTC edge and each rollup bucket lies wholly inside one calendar bucket.
 * Hourly buckets would straddle local midnights in those zones.
 *
 * A page view counts, with all its engaged time, in the bucket of its start: the same rule
 * `/pageviews` uses when filtering by time, so sums over rollups equal sums over page views.
 */
export const ROLLUP_BUCKET_MS = 15 * 60_000;

/** The identity of one rollup document. */
export interface RollupKey {
  agencyId: string;
  userId: string;
  locationId: string | null;
  path: string;
  /** Epoch ms, a multiple of ROLLUP_BUCKET_MS. */
  bucketStart: number;
}

/** What a rollup holds, computed from its page views. */
export interface RollupValues {
  pageviews: number;
  engagedMs: number;
  /** Latest `lastSeenAt` of its page views (epoch ms). */
  lastSeenAt: number;
  /** Name on the page view seen last, so renames show up. */
  userName: string;
  /** Latest `updatedAt` of its page views: a version that orders concurrent recomputations. */
  version: number;
}

/** The fields of a page view the rollups need. */
export interface RollupSource {
  agencyId: string;
  userId: string;
  locationId: string | null;
  path: string;
  startedAt: number;
  engagedMs: number;
  lastSeenAt: number;
  userName: string;
  updatedAt: number;
}

export const floorToBucket = (ms: number): number => Math.floor(ms / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS;
export const ceilToBucket = (ms: number): number => Math.ceil(ms / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS;
export const isBucketAligned = (ms: number): boolean => ms % ROLLUP_BUCKET_MS === 0;

/** A unique, unambiguous string for a key (ids may contain any character), used as `_id`. */
export function rollupId(k: RollupKey): string {
  return JSON.stringify([k.agencyId, k.userId, k.locationId, k.path, k.bucketStart]);
}

/** The rollup a page view belongs to. */
export function rollupKeyOf(
  pv: Pick<RollupSource, 'agencyId' | 'userId' | 'locationId' | 'path' | 'startedAt'>,
): RollupKey {
  return {
    agencyId: pv.agencyId,
    userId: pv.userId,
    locationId: pv.locationId ?? null,
    path: pv.path,
    bucketStart: floorToBucket(pv.startedAt),
  };
}

/** Folds page views into rollup values, keyed by `rollupId`. */
export function foldRollups(
  pageviews: Iterable<RollupSource>,
  into = new Map<string, { key: RollupKey; values: RollupValues }>(),
) {
  for (const pv of pageviews) {
    const key = rollupKeyOf(pv);
    const id = rollupId(key);
    const cur = into.get(id);
    if (!cur) {
      into.set(id, {
        key,
        values: {
          pageviews: 1,
          engagedMs: pv.engagedMs,
          lastSeenAt: pv.lastSeenAt,
          userName: pv.userName,
          version: pv.updatedAt,
        },
      });
      continue;
    }
    const v = cur.values;
    v.pageviews += 1;
    v.engagedMs += pv.engagedMs;
    if (pv.lastSeenAt >= v.lastSeenAt) {
      v.lastSeenAt = pv.lastSeenAt;
      v.userName = pv.userName;
    }
    v.version = Math.max(v.version, pv.updatedAt);
  }
  return into;
}

/** Where one part of a time range is answered from. */
export interface RangeSegment {
  source: 'rollups' | 'pageviews';
  from?: Date;
  to?: Date;
}

/**
 * Splits [from, to) so that whole 15-minute buckets come from rollups and only the ragged
 * edges (less than 15 minutes each) are read from raw page views. Open ends stay open.
 */
export function rangeSegments(from: Date | undefined, to: Date | undefined): RangeSegment[] {
  const lo = from ? ceilToBucket(from.getTime()) : undefined;
  const hi = to ? floorToBucket(to.getTime()) : undefined;
  if (lo !== undefined && hi !== undefined && lo >= hi) return [{ source: 'pageviews', from, to }];
  const out: RangeSegment[] = [];
  if (from && lo !== from.getTime()) out.push({ source: 'pageviews', from, to: new Date(lo as number) });
  out.push({
    source: 'rollups',
    ...(lo !== undefined ? { from: new Date(lo) } : {}),
    ...(hi !== undefined ? { to: new Date(hi) } : {}),
  });
  if (to && hi !== to.getTime()) out.push({ source: 'pageviews', from: new Date(hi as number), to });
  return out;
}
