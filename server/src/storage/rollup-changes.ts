import type { Collection, Document, Filter } from 'mongodb';
import { rollupKeyOf } from '../domain/rollup-keys.ts';
import type { ChangedPageview, ChangedScope } from '../domain/stats-ports.ts';
import { READ_BATCH } from './bulk-chunks.ts';
import type { PageviewDoc } from './models.ts';

/** What names a page view's rollup (`rollupKeyOf`), with its id, change time and whether it is open: `changedSince` reads only these. */
const KEY_FIELDS = {
  _id: 1,
  agencyId: 1,
  userId: 1,
  locationId: 1,
  path: 1,
  startedAt: 1,
  endedAt: 1,
  updatedAt: 1,
} as const;

/** Open page views: an agency's by { agencyId, endedAt }, everyone's by the sweeper's { endedAt, aliveAt }. */
const openIndex = (scope: ChangedScope): Document =>
  scope.agencyId === undefined ? { endedAt: 1, aliveAt: 1 } : { agencyId: 1, endedAt: 1 };

/**
 * What `changedSince` reads, with only what names the rollup: this read is the job's largest,
 * and the values come from the recomputation's own read. Open page views, when asked for, by
 * `openIndex`; then closed ones changed since, by { updatedAt } (no sort: the job only
 * needs the set and the maximum). In that order, one closing in between is read at least once
 * (open, then maybe closed too); the other order could miss it. One agency's (a read's
 * catch-up) are filtered from the same ranges. The indexes are hinted: by the agency's own
 * index the planner could pick a scan of everything the agency ever did, for a few changes.
 */
export function changedQueries(since: Date, scope: ChangedScope): { filter: Filter<PageviewDoc>; hint: Document }[] {
  const agency = scope.agencyId === undefined ? {} : { agencyId: scope.agencyId };
  return [
    ...(scope.open ? [{ filter: { ...agency, endedAt: null }, hint: openIndex(scope) }] : []),
    { filter: { ...agency, updatedAt: { $gte: since }, endedAt: { $ne: null } }, hint: { updatedAt: 1 } },
  ];
}

/** The page views a rollup pass reads (`RollupStore.changedSince`), query by query. */
export async function* readChanged(
  pageviews: Collection<PageviewDoc>,
  since: Date,
  scope: ChangedScope,
): AsyncIterable<ChangedPageview> {
  for (const { filter, hint } of changedQueries(since, scope)) {
    const cursor = pageviews.find(filter, { projection: KEY_FIELDS, hint, batchSize: READ_BATCH });
    try {
      for await (const d of cursor)
        yield {
          id: d._id,
          key: rollupKeyOf({
            agencyId: d.agencyId,
            userId: d.userId,
            locationId: d.locationId ?? null,
            path: d.path,
            startedAt: d.startedAt.getTime(),
          }),
          updatedAt: d.updatedAt.getTime(),
          open: !d.endedAt,
        };
    } finally {
      await cursor.close();
    }
  }
}
