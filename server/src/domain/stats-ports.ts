import type { Pageview } from '@activity-hub/protocol';
import type { HistoryFilter } from './history-ports.ts';
import type { RangeSegment, RollupKey } from './rollup-keys.ts';

/** A scope without its time range: the stats queries get time bounds separately. */
export type StatsScope = Omit<HistoryFilter, 'from' | 'to'>;

/** Totals of one time bucket, with the users behind them so distinct counts can be merged. */
export interface BucketRow {
  pageviews: number;
  engagedMs: number;
  users: string[];
}

export interface PageRow extends BucketRow {
  path: string;
}

/** Totals of one user at one location. */
export interface UserRow {
  userId: string;
  locationId: string | null;
  name: string;
  pageviews: number;
  engagedMs: number;
  lastSeen: Date;
}

/** Read side of the activity statistics; implemented in storage/. */
export interface StatsReader {
  /**
   * Totals per interval [b[i], b[i+1]). From `rollups` the boundaries must be 15-minute aligned;
   * from `pageviews` any instants work.
   */
  bucketTotals(scope: StatsScope, source: RangeSegment['source'], boundaries: Date[]): Promise<BucketRow[]>;
  /** Totals per path in one segment (unsorted, unlimited: segments are merged first). */
  pageTotals(scope: StatsScope, segment: RangeSegment): Promise<PageRow[]>;
  /** Totals per (user, location) in one segment. */
  userTotals(scope: StatsScope, segment: RangeSegment): Promise<UserRow[]>;
}

/** What `changedSince` reads: one agency or every one; open page views or not. */
export interface ChangedScope {
  agencyId?: string;
  open?: boolean;
}

/** A page view a rollup pass may recompute: its id, rollup key, state (`updatedAt`) and whether it is open. */
export interface ChangedPageview {
  id: string;
  key: RollupKey;
  updatedAt: number;
  open: boolean;
}

/** The writer side of rollup maintenance; implemented in storage/. */
export interface RollupStore {
  /**
   * The page views a rollup pass reads (of one agency, if given): closed ones whose `updatedAt`
   * is at or after `since`, and with `open`, every open one too (whenever it last changed).
   */
  changedSince(since: Date, scope?: ChangedScope): AsyncIterable<ChangedPageview>;
  /**
   * Recomputes these rollups from their page views and `$set`s them (upsert), deleting the
   * ones left with no page view. Idempotent: running it twice, or on two instances, is
   * harmless. The levels above them are refreshed by `refreshLevels`, after.
   */
  recomputeRollups(keys: RollupKey[]): Promise<{ written: number; deleted: number }>;
  /**
   * The user-days, user-months and path-days holding these rollups, in chunks, each run
   * through `step` when given (the job paces its runs with it).
   */
  refreshLevels(keys: RollupKey[], step?: (chunk: () => Promise<void>) => Promise<void>): Promise<void>;
}

/** Shared job state: a lease so one instance normally does the work, and a watermark. */
export interface JobStateStore {
  /** Takes or renews the named lease for `ttlMs`; false when another owner holds it. */
  tryLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;
  /** The `updatedAt` up to which page views are rolled up; null before the first run. */
  watermark(name: string): Promise<number | null>;
  /** Moves the watermark forward only (`$max`), so a slow run never moves it back. */
  advanceWatermark(name: string, to: number): Promise<void>;
}

/** Streams the page views in scope for an export, oldest first. */
export interface PageviewExporter {
  /** Opens the stream; resolves once the first batch is ready, so query errors are thrown early. */
  exportPageviews(filter: HistoryFilter): Promise<AsyncIterable<Pageview> & { close(): Promise<void> }>;
}
