import type { JobStateStore, PageviewExporter, RollupStore, StatsReader } from '../domain/stats-ports.ts';
import type { Database } from './database.ts';
import { MongoJobStateStore } from './job-state-store.ts';
import { MongoPageviewExporter } from './pageview-export.ts';
import { openStatsCollections, type StatsCollections } from './rollup-models.ts';
import { MongoRollupStore } from './rollup-store.ts';
import { MongoStatsReader } from './stats-queries.ts';

/** Everything the statistics side needs from storage. */
export interface StatsStorage {
  collections: StatsCollections;
  reader: StatsReader;
  rollups: RollupStore;
  jobState: JobStateStore;
  exporter: PageviewExporter;
}

/** Opens the rollup and meta collections (creating their indexes) and the stores over them. */
export async function openStatsStorage(db: Database, horizon?: () => number): Promise<StatsStorage> {
  const collections = await openStatsCollections(db.conn);
  const { pageviews } = db.models;
  return {
    collections,
    reader: new MongoStatsReader(pageviews, collections.rollups, collections.months, collections.pathDays),
    rollups: new MongoRollupStore(
      pageviews,
      collections.rollups,
      collections.days,
      collections.months,
      collections.pathDays,
      horizon,
    ),
    jobState: new MongoJobStateStore(collections.meta),
    exporter: new MongoPageviewExporter(pageviews),
  };
}
