import type { Bucket, Summary, TopPage, Totals, UserStats } from '@activity-hub/protocol';
import { calendarRange, type CalendarSpec } from './calendar-buckets.ts';
import type { HistoryFilter } from './history-ports.ts';
import { isBucketAligned, rangeSegments } from './rollup-keys.ts';
import type { BucketRow, StatsReader, StatsScope } from './stats-ports.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const scopeOf = ({ from: _f, to: _t, ...scope }: HistoryFilter): StatsScope => scope;

/** Adds rows up; users are a union, never a sum (one user active on two days is one user). */
function totalsOf(rows: BucketRow[]): Totals {
  const users = new Set<string>();
  let pageviews = 0;
  let engagedMs = 0;
  for (const r of rows) {
    pageviews += r.pageviews;
    engagedMs += r.engagedMs;
    for (const u of r.users) users.add(u);
  }
  return { pageviews, engagedMs, users: users.size };
}

/**
 * Activity statistics: daily/weekly/monthly summaries, top pages and per-user totals. Reads
 * come from the 15-minute rollups after a catch-up (so they include every write made before
 * the request); time edges that are not on a 15-minute boundary come from raw page views, so
 * every answer is exact for any range.
 */
export class HistoryStats {
  constructor(
    private readonly reader: StatsReader,
    /** Brings the rollups of one agency up to date (RollupJob.catchUpAgency). */
    private readonly catchUp: (agencyId: string) => Promise<unknown>,
  ) {}

  /** Calendar buckets of the zone covering [from, to), their totals and the previous period's. */
  async summary(filter: HistoryFilter & { from: Date; to: Date }, spec: CalendarSpec): Promise<Summary> {
    const { boundaries, previous } = calendarRange(filter.from, filter.to, spec);
    const all = [...previous.slice(0, -1), ...boundaries];
    // Historic zone rules (local mean time before ~1900) are not on 15-minute edges: answer
    // those from page views rather than approximately.
    const source = all.every(isBucketAligned) ? 'rollups' : 'pageviews';
    await this.catchUp(filter.agencyId);
    const rows = await this.reader.bucketTotals(
      scopeOf(filter),
      source,
      all.map((ms) => new Date(ms)),
    );
    const n = boundaries.length - 1;
    const prevRows = rows.slice(0, n);
    const curRows = rows.slice(n);
    const buckets: Bucket[] = curRows.map((r, i) => ({
      start: iso(boundaries[i] as number),
      end: iso(boundaries[i + 1] as number),
      pageviews: r.pageviews,
      engagedMs: r.engagedMs,
      users: new Set(r.users).size,
    }));
    return {
      from: iso(boundaries[0] as number),
      to: iso(boundaries[n] as number),
      granularity: spec.granularity,
      tz: spec.tz,
      buckets,
      totals: totalsOf(curRows),
      previous: { ...totalsOf(prevRows), from: iso(previous[0] as number), to: iso(previous[n] as number) },
    };
  }

  /** Paths by page views (most first), with engaged time and distinct users. */
  async topPages(filter: HistoryFilter, limit: number): Promise<TopPage[]> {
    await this.catchUp(filter.agencyId);
    const scope = scopeOf(filter);
    const parts = await Promise.all(rangeSegments(filter.from, filter.to).map((s) => this.reader.pageTotals(scope, s)));
    const byPath = new Map<string, { pageviews: number; engagedMs: number; users: Set<string> }>();
    for (const row of parts.flat()) {
      const cur = byPath.get(row.path) ?? { pageviews: 0, engagedMs: 0, users: new Set<string>() };
      cur.pageviews += row.pageviews;
      cur.engagedMs += row.engagedMs;
      for (const u of row.users) cur.users.add(u);
      byPath.set(row.path, cur);
    }
    return [...byPath]
      .map(([path, t]) => ({
        path,
        pageviews: t.pageviews,
        engagedMs: t.engagedMs,
        users: t.users.size,
        avgEngagedMs: t.pageviews ? Math.round(t.engagedMs / t.pageviews) : 0,
      }))
      .sort((a, b) => b.pageviews - a.pageviews || b.engagedMs - a.engagedMs || a.path.localeCompare(b.path))
      .slice(0, limit);
  }

  /** Users by page views (most first): totals, last activity, most-used location, name. */
  async users(filter: HistoryFilter, limit: number): Promise<UserStats[]> {
    await this.catchUp(filter.agencyId);
    const scope = scopeOf(filter);
    const parts = await Promise.all(rangeSegments(filter.from, filter.to).map((s) => this.reader.userTotals(scope, s)));
    type Acc = { pageviews: number; engagedMs: number; lastSeen: number; name: string; locations: Map<string, number> };
    const byUser = new Map<string, Acc>();
    for (const row of parts.flat()) {
      const cur: Acc = byUser.get(row.userId) ?? {
        pageviews: 0,
        engagedMs: 0,
        lastSeen: 0,
        name: row.name,
        locations: new Map(),
      };
      cur.pageviews += row.pageviews;
      cur.engagedMs += row.engagedMs;
      if (row.lastSeen.getTime() >= cur.lastSeen) {
        cur.lastSeen = row.lastSeen.getTime();
        cur.name = row.name;
      }
      if (row.locationId !== null)
        cur.locations.set(row.locationId, (cur.locations.get(row.locationId) ?? 0) + row.pageviews);
      byUser.set(row.userId, cur);
    }
    const topLocation = (m: Map<string, number>): string | null =>
      [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
    return [...byUser]
      .map(([userId, a]) => ({
        userId,
        name: a.name,
        pageviews: a.pageviews,
        engagedMs: a.engagedMs,
        lastSeen: iso(a.lastSeen),
        topLocationId: topLocation(a.locations),
      }))
      .sort((a, b) => b.pageviews - a.pageviews || a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId))
      .slice(0, limit);
  }
}
