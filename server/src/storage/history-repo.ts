import type { HistoryFilter, HistoryRepository, PageCursor } from '../domain/history-ports.ts';
import type { Models } from './models.ts';
import { directory, listPageviews } from './pageview-queries.ts';

/** History reads on MongoDB. */
export class MongoHistoryRepository implements HistoryRepository {
  constructor(private readonly models: Models) {}

  listPageviews(filter: HistoryFilter, limit: number, after: PageCursor | null) {
    return listPageviews(this.models, filter, limit, after);
  }

  directory(filter: HistoryFilter) {
    return directory(this.models, filter);
  }
}
