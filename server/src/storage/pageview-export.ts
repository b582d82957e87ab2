import type { Collection, Document } from 'mongodb';
import type { HistoryFilter } from '../domain/history-ports.ts';
import type { PageviewExporter } from '../domain/stats-ports.ts';
import type { PageviewDoc } from './models.ts';
import { toPageview } from './pageview-docs.ts';
import { mongoFilter } from './pageview-queries.ts';

/** Documents per round trip: few round trips, and still only a few MB held at a time. */
export const EXPORT_BATCH_SIZE = 5_000;

/**
 * The export query. Sorted by `startedAt` alone: each of the agency/location/user + startedAt
 * indexes provides that order, so the server walks an index instead of sorting in memory (a
 * tie-breaker on `_id` would force a blocking sort for user- and location-scoped exports).
 */
export function exportQuery(f: HistoryFilter): { filter: Document; sort: Document; projection: Document } {
  return { filter: mongoFilter(f), sort: { startedAt: 1 }, projection: { seqFloor: 0, seqs: 0, aliveAt: 0 } };
}

/** Page views for CSV export through a driver cursor: batches, never the whole result. */
export class MongoPageviewExporter implements PageviewExporter {
  constructor(private readonly pageviews: Collection<PageviewDoc>) {}

  async exportPageviews(f: HistoryFilter) {
    const q = exportQuery(f);
    const cursor = this.pageviews.find(q.filter, {
      sort: q.sort,
      projection: q.projection,
      batchSize: EXPORT_BATCH_SIZE,
    });
    // Fetch the first batch now, so a failing query is a proper error response, not a cut file.
    await cursor.hasNext();
    return {
      async *[Symbol.asyncIterator]() {
        for await (const d of cursor) yield toPageview(d as PageviewDoc);
      },
      close: () => cursor.close(),
    };
  }
}
