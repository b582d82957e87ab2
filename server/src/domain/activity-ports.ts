import type { SessionDetail, SessionItem } from '@activity-hub/protocol';
import type { HistoryFilter, PageCursor } from './history-ports.ts';

/** One session's identity inside an agency: sessions are keyed by user as well as tab id. */
export interface SessionRef {
  userId: string;
  tabId: string;
}

/** Read, erase and expire raw activity (sessions and page views); implemented in storage/. */
export interface ActivityRepository {
  /** Sessions that started in [from, to), newest first; `path` keeps those with a view of it. */
  listSessions(
    filter: HistoryFilter,
    limit: number,
    after: PageCursor | null,
  ): Promise<{ items: SessionItem[]; next: PageCursor | null }>;
  /** One session of the agency with its page views; null when there is none. Scope is checked by the caller. */
  sessionDetail(agencyId: string, ref: SessionRef): Promise<SessionDetail | null>;
  /** Deletes one user's page views, sessions, rollups and user-days; the counts of raw documents. */
  eraseUser(agencyId: string, userId: string): Promise<{ pageviews: number; sessions: number }>;
  /** Deletes raw page views and sessions that started before `cutoff`; rollups are kept. */
  purgeBefore(cutoff: Date): Promise<{ pageviews: number; sessions: number }>;
}

/** Session ids are opaque to clients: base64url JSON of [userId, tabId]. */
export function encodeSessionId(ref: SessionRef): string {
  return Buffer.from(JSON.stringify([ref.userId, ref.tabId])).toString('base64url');
}

/** Decodes a session id; null when it is not one of ours (answered like a missing session). */
export function decodeSessionId(s: string): SessionRef | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && v[0] && v[1]) {
      return { userId: v[0], tabId: v[1] };
    }
  } catch {
    /* fall through */
  }
  return null;
}
