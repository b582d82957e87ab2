import type { Collection, Document } from 'mongodb';
import { bucketMonths, userTotalsOfMonths } from '../domain/rollup-months.ts';
import { DAY_MS } from '../domain/rollup-days.ts';
import { pageRowsOfPathDays, splitWholeDays } from '../domain/rollup-path-days.ts';
import type { RangeSegment } from '../domain/rollup-keys.ts';
import type { BucketRow, PageRow, StatsReader, StatsScope, UserRow } from '../domain/stats-ports.ts';
import type { PageviewDoc } from './models.ts';
import type { RollupDoc, RollupMonthDoc, RollupPathDayDoc } from './rollup-models.ts';
import { readPathDays } from './rollup-path-day-store.ts';
import { readMonths } from './rollup-month-store.ts';

type Source = RangeSegment['source'];

/**
 * Rollups and raw page views answer the same pipelines; only field names differ (a raw page
 * view counts as one page view, and its time is its start).
 */
const FIELDS = {
  rollups: { time: 'bucketStart', pageviews: '$pageviews' },
  pageviews: { time: 'startedAt', pageviews: 1 },
} as const;

/** The `$match` of a statistics query: scope equalities, then a time range (an index prefix). */
export function statsMatch(scope: StatsScope, source: Source, from?: Date, to?: Date): Document {
  const q: Document = { agencyId: scope.agencyId };
  if (scope.userId) q.userId = scope.userId;
  if (scope.locationId) q.locationId = scope.locationId;
  if (scope.path) q.path = scope.path;
  if (from || to) {
    const range: Document = {};
    if (from) range.$gte = from;
    if (to) range.$lt = to;
    q[FIELDS[source].time] = range;
  }
  return q;
}

const sums = (source: Source) => ({ pageviews: { $sum: FIELDS[source].pageviews }, engagedMs: { $sum: '$engagedMs' } });

/**
 * The index i of the interval [b[i], b[i+1]) holding `field`, as a balanced tree of `$cond`:
 * log2(n) comparisons per document, exact half-open intervals, and it runs on every MongoDB
 * version and on the embedded server alike (whose `$bucket` puts an upper edge in the lower
 * bucket).
 */
export function bucketIndexExpr(field: string, b: Date[], lo = 0, hi = b.length - 1): unknown {
  if (hi - lo <= 1) return lo;
  const mid = (lo + hi) >> 1;
  return { $cond: [{ $lt: [field, b[mid]] }, bucketIndexExpr(field, b, lo, mid), bucketIndexExpr(field, b, mid, hi)] };
}

/** Totals per calendar bucket (the zone's boundaries, computed by the caller). */
export function bucketPipeline(scope: StatsScope, source: Source, boundaries: Date[]): Document[] {
  return [
    { $match: statsMatch(scope, source, boundaries[0], boundaries[boundaries.length - 1]) },
    {
      $group: {
        _id: bucketIndexExpr(`$${FIELDS[source].time}`, boundaries),
        ...sums(source),
        users: { $addToSet: '$userId' },
      },
    },
  ];
}

/** Totals per path. */
export function pagePipeline(scope: StatsScope, segment: RangeSegment): Document[] {
  return [
    { $match: statsMatch(scope, segment.source, segment.from, segment.to) },
    { $group: { _id: '$path', ...sums(segment.source), users: { $addToSet: '$userId' } } },
  ];
}

/** Totals per (user, location); the name is the one on the latest activity. */
export function userPipeline(scope: StatsScope, segment: RangeSegment): Document[] {
  return [
    { $match: statsMatch(scope, segment.source, segment.from, segment.to) },
    {
      $group: {
        _id: { u: '$userId', l: '$locationId' },
        ...sums(segment.source),
        last: { $max: { at: '$lastSeenAt', name: '$userName' } },
      },
    },
  ];
}

/** Statistics reads over rollups (whole 15-minute buckets) or raw page views (ragged edges). */
export class MongoStatsReader implements StatsReader {
  constructor(
    private readonly pageviews: Collection<PageviewDoc>,
    private readonly rollups: Collection<RollupDoc>,
    private readonly months: Collection<RollupMonthDoc>,
    private readonly pathDays: Collection<RollupPathDayDoc>,
  ) {}

  /** Either source, for the pipelines written over both (their fields share names). */
  private coll(source: Source): Pick<Collection<Document>, 'aggregate'> {
    return source === 'rollups' ? this.rollups : this.pageviews;
  }

  async bucketTotals(scope: StatsScope, source: Source, boundaries: Date[]): Promise<BucketRow[]> {
    // Without a path filter the user-months answer: one document per user and month, bucketed here.
    if (source === 'rollups' && !scope.path) {
      const ms = boundaries.map((b) => b.getTime());
      return bucketMonths(await readMonths(this.months, scope, ms[0], ms[ms.length - 1]), ms);
    }
    const rows = await this.coll(source)
      .aggregate<{ _id: number } & BucketRow>(bucketPipeline(scope, source, boundaries))
      .toArray();
    const byIndex = new Map(rows.map((r) => [r._id, r]));
    return boundaries.slice(0, -1).map((_b, i) => {
      const r = byIndex.get(i);
      return { pageviews: r?.pageviews ?? 0, engagedMs: r?.engagedMs ?? 0, users: r?.users ?? [] };
    });
  }

  async pageTotals(scope: StatsScope, segment: RangeSegment): Promise<PageRow[]> {
    // Agency- or location-wide, whole UTC days come from path-days; the rest from rollups.
    if (segment.source === 'rollups' && !scope.userId && !scope.path && segment.from && segment.to) {
      const { days, edges } = splitWholeDays(segment.from.getTime(), segment.to.getTime());
      const read = days ? await readPathDays(this.pathDays, scope, days[0], days[1]) : { days: [], overflow: [] };
      const parts = await Promise.all([
        pageRowsOfPathDays(read.days),
        ...edges.map(([from, to]) =>
          this.rollupPageTotals(scope, { source: 'rollups', from: new Date(from), to: new Date(to) }),
        ),
        // Location-days too large for a path-day come from their rollups.
        ...read.overflow.map(({ locationId, day }) =>
          this.rollupPageTotals(
            scope,
            { source: 'rollups', from: new Date(day), to: new Date(day + DAY_MS) },
            locationId,
          ),
        ),
      ]);
      return parts.flat();
    }
    return this.rollupPageTotals(scope, segment);
  }

  /** Per path from rollups or page views; `locationId` narrows to one location (null: none). */
  private async rollupPageTotals(
    scope: StatsScope,
    segment: RangeSegment,
    locationId?: string | null,
  ): Promise<PageRow[]> {
    const pipeline = pagePipeline(scope, segment);
    if (locationId !== undefined) (pipeline[0] as { $match: Document }).$match.locationId = locationId;
    const rows = await this.coll(segment.source).aggregate<{ _id: string } & BucketRow>(pipeline).toArray();
    return rows.map((r) => ({ path: r._id, pageviews: r.pageviews, engagedMs: r.engagedMs, users: r.users }));
  }

  async userTotals(scope: StatsScope, segment: RangeSegment): Promise<UserRow[]> {
    if (segment.source === 'rollups' && !scope.path) {
      const from = segment.from?.getTime();
      const to = segment.to?.getTime();
      return userTotalsOfMonths(await readMonths(this.months, scope, from, to), from ?? -Infinity, to ?? Infinity);
    }
    type Row = {
      _id: { u: string; l?: string | null };
      pageviews: number;
      engagedMs: number;
      last: { at: Date; name?: string };
    };
    const rows = await this.coll(segment.source).aggregate<Row>(userPipeline(scope, segment)).toArray();
    return rows.map((r) => ({
      userId: r._id.u,
      locationId: r._id.l ?? null,
      name: r.last.name ?? '',
      pageviews: r.pageviews,
      engagedMs: r.engagedMs,
      lastSeen: new Date(r.last.at),
    }));
  }
}
