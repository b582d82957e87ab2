import type { ActivityRepository, SessionRef } from '../domain/activity-ports.ts';
import type { HistoryFilter, PageCursor } from '../domain/history-ports.ts';
import { eraseUser, purgeBefore } from './activity-purge.ts';
import type { Models } from './models.ts';
import type { StatsCollections } from './rollup-models.ts';
import { listSessions, sessionDetail } from './session-queries.ts';

/** Sessions, session detail, erasure and retention on MongoDB. */
export class MongoActivityRepository implements ActivityRepository {
  constructor(
    private readonly models: Models,
    private readonly stats: StatsCollections,
  ) {}

  listSessions(filter: HistoryFilter, limit: number, after: PageCursor | null) {
    return listSessions(this.models, filter, limit, after);
  }

  sessionDetail(agencyId: string, ref: SessionRef) {
    return sessionDetail(this.models, agencyId, ref);
  }

  eraseUser(agencyId: string, userId: string) {
    return eraseUser(this.models, this.stats, agencyId, userId);
  }

  purgeBefore(cutoff: Date) {
    return purgeBefore(this.models, cutoff);
  }
}
