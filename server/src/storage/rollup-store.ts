import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import {
  foldRollups,
  rollupId,
  ROLLUP_BUCKET_MS,
  type RollupKey,
  type RollupSource,
  type RollupValues,
} from '../domain/rollup-keys.ts';
import type { ChangedPageview, ChangedScope, RollupStore } from '../domain/stats-ports.ts';
import { MAX_OR_CLAUSES, READ_BATCH } from './bulk-chunks.ts';
import type { PageviewDoc } from './models.ts';
import { bulkIgnoringStale, versionedUpsert } from './rollup-day-store.ts';
import type { RollupDayDoc, RollupDoc, RollupMonthDoc, RollupPathDayDoc } from './rollup-models.ts';
import { readChanged } from './rollup-changes.ts';
import { refreshLevels } from './rollup-refresh.ts';

/** Buckets closer than this are read in one range query (the ones between are just not written). */
const MERGE_GAP_MS = 4 * ROLLUP_BUCKET_MS;
const PARALLEL_READS = 4;

const SOURCE_FIELDS = {
  _id: 0,
  agencyId: 1,
  userId: 1,
  locationId: 1,
  path: 1,
  startedAt: 1,
  engagedMs: 1,
  lastSeenAt: 1,
  userName: 1,
  updatedAt: 1,
} as const;

/** Contiguous [from, to) ranges covering the given bucket starts. */
function runsOf(buckets: number[]): { from: number; to: number }[] {
  const sorted = [...new Set(buckets)].sort((a, b) => a - b);
  const runs: { from: number; to: number }[] = [];
  for (const b of sorted) {
    const last = runs[runs.length - 1];
    if (last && b - last.to <= MERGE_GAP_MS) last.to = b + ROLLUP_BUCKET_MS;
    else runs.push({ from: b, to: b + ROLLUP_BUCKET_MS });
  }
  return runs;
}

async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const toSource = (
  d: Pick<
    PageviewDoc,
    'agencyId' | 'userId' | 'locationId' | 'path' | 'startedAt' | 'engagedMs' | 'lastSeenAt' | 'userName' | 'updatedAt'
  >,
): RollupSource => ({
  agencyId: d.agencyId,
  userId: d.userId,
  locationId: d.locationId ?? null,
  path: d.path,
  startedAt: d.startedAt.getTime(),
  engagedMs: d.engagedMs ?? 0,
  lastSeenAt: d.lastSeenAt.getTime(),
  userName: d.userName ?? '',
  updatedAt: d.updatedAt.getTime(),
});

/** The rollup write that makes `_id` hold exactly these values, unless a newer computation is stored. */
export function rollupUpsert(key: RollupKey, v: RollupValues): AnyBulkWriteOperation<RollupDoc> {
  return versionedUpsert(rollupId(key), v.version, {
    agencyId: key.agencyId,
    userId: key.userId,
    locationId: key.locationId,
    path: key.path,
    bucketStart: new Date(key.bucketStart),
    pageviews: v.pageviews,
    engagedMs: v.engagedMs,
    lastSeenAt: new Date(v.lastSeenAt),
    userName: v.userName,
  });
}

/** Rollup keys whose levels are refreshed together: one step of a paced run (rollup-job.ts). */
const LEVEL_CHUNK = 1_000;

const cmp = (a: string | null, b: string | null) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
const byPlace = (a: RollupKey, b: RollupKey) =>
  cmp(a.agencyId, b.agencyId) ||
  cmp(a.locationId, b.locationId) ||
  cmp(a.userId, b.userId) ||
  a.bucketStart - b.bucketStart;

/** Rollup maintenance on MongoDB: reads the changed page views, rebuilds their rollups and the levels above. */
export class MongoRollupStore implements RollupStore {
  constructor(
    private readonly pageviews: Collection<PageviewDoc>,
    private readonly rollups: Collection<RollupDoc>,
    private readonly days: Collection<RollupDayDoc>,
    private readonly months: Collection<RollupMonthDoc>,
    private readonly pathDays: Collection<RollupPathDayDoc>,
    /** Buckets before this instant (the retention horizon) are kept as they are, never recomputed. */
    private readonly horizon: () => number = () => 0,
  ) {}

  changedSince(since: Date, scope: ChangedScope = {}): AsyncIterable<ChangedPageview> {
    return readChanged(this.pageviews, since, scope);
  }

  async refreshLevels(
    keys: RollupKey[],
    step: (chunk: () => Promise<void>) => Promise<void> = (chunk) => chunk(),
  ): Promise<void> {
    const horizon = this.horizon();
    const { rollups, days, months, pathDays } = this;
    // By location, then user: each chunk holds whole location-days and user-days (but at its
    // edges), so no document is read by two chunks, and a chunk's reads stay bounded.
    const sorted = keys.filter((k) => k.bucketStart >= horizon).sort(byPlace);
    for (let i = 0; i < sorted.length; i += LEVEL_CHUNK)
      await step(() => refreshLevels({ rollups, days, months, pathDays }, sorted.slice(i, i + LEVEL_CHUNK)));
  }

  async recomputeRollups(all: RollupKey[]): Promise<{ written: number; deleted: number }> {
    // Their raw page views may already be gone: recomputing would delete what History keeps.
    const horizon = this.horizon();
    const keys = all.filter((k) => k.bucketStart >= horizon);
    // One query per agency (and at most MAX_OR_CLAUSES user/path/time ranges): few round trips, and
    // each `$or` branch is a range of the { agencyId, userId, startedAt } index. The path is in
    // the branch too: the database still looks at the user's other page views in those buckets,
    // but only the ones these keys need cross the wire and get decoded here.
    const byUserPath = new Map<string, { agencyId: string; userId: string; path: string; buckets: number[] }>();
    for (const k of keys) {
      const id = JSON.stringify([k.agencyId, k.userId, k.path]);
      const g = byUserPath.get(id) ?? { agencyId: k.agencyId, userId: k.userId, path: k.path, buckets: [] };
      g.buckets.push(k.bucketStart);
      byUserPath.set(id, g);
    }
    const clauses = new Map<string, Document[]>();
    for (const g of byUserPath.values()) {
      const list = clauses.get(g.agencyId) ?? [];
      for (const r of runsOf(g.buckets))
        list.push({ userId: g.userId, path: g.path, startedAt: { $gte: new Date(r.from), $lt: new Date(r.to) } });
      clauses.set(g.agencyId, list);
    }
    const queries = [...clauses].flatMap(([agencyId, list]) =>
      Array.from({ length: Math.ceil(list.length / MAX_OR_CLAUSES) }, (_, i) => ({
        agencyId,
        $or: list.slice(i * MAX_OR_CLAUSES, (i + 1) * MAX_OR_CLAUSES),
      })),
    );
    const folded: ReturnType<typeof foldRollups> = new Map();
    await eachLimit(queries, PARALLEL_READS, async (q) => {
      const docs = await this.pageviews.find(q, { projection: SOURCE_FIELDS, batchSize: READ_BATCH }).toArray();
      foldRollups(
        docs.map((d) => toSource(d as PageviewDoc)),
        folded,
      );
    });
    const ops: AnyBulkWriteOperation<RollupDoc>[] = [];
    let deleted = 0;
    for (const k of keys) {
      const id = rollupId(k);
      const found = folded.get(id);
      if (found) ops.push(rollupUpsert(k, found.values));
      else {
        ops.push({ deleteOne: { filter: { _id: id } } });
        deleted++;
      }
    }
    await bulkIgnoringStale(this.rollups, ops);
    return { written: ops.length - deleted, deleted };
  }
}
