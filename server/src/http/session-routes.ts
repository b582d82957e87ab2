import {
  erasureParamsSchema,
  erasureSchema,
  heatmapQuerySchema,
  heatmapSchema,
  sessionDetailSchema,
  sessionParamsSchema,
  sessionsPageSchema,
  sessionsQuerySchema,
  type Erasure,
  type Heatmap,
} from '@activity-hub/protocol';
import { canSee } from '../domain/access.ts';
import { decodeSessionId, type ActivityRepository } from '../domain/activity-ports.ts';
import { AppError } from '../domain/app-error.ts';
import { decodeCursor, encodeCursor, type HistoryFilter } from '../domain/history-ports.ts';
import type { Claims } from '../domain/identity.ts';
import { HISTORY_ERRORS, historyFilter } from './activity-routes.ts';
import { claimsOf } from './require-auth.ts';
import { routesOf } from './route-def.ts';

export interface SessionRouteDeps {
  activity: ActivityRepository;
  heatmap(filter: HistoryFilter & { from: Date; to: Date }, spec: Pick<Heatmap, 'tz' | 'weekStart'>): Promise<Heatmap>;
  /** Spends the caller's `erase` budget after the role check (erasure.ts). */
  erase(claims: Claims, userId: string): Promise<Erasure>;
}

const route = routesOf<SessionRouteDeps>();

/** `/sessions`, `/sessions/:id`, `/heatmap` and erasure; mounted behind requireAuth, scoped by access.ts. */
export const SESSION_ROUTES = [
  route({
    method: 'get',
    path: '/sessions',
    tag: 'history',
    summary: 'Sessions (tab visits), newest first',
    description:
      'Sessions that started in [from, to). With `path`, only sessions that include a page view of that path; such a page may hold fewer than `limit` items while `nextCursor` is not null: follow it until it is. The cursor only positions; the scope always comes from the token.',
    query: sessionsQuerySchema,
    reply: { description: 'A page of sessions', schema: sessionsPageSchema },
    errors: HISTORY_ERRORS,
    handler: async ({ deps, query: q, res }) => {
      const after = q.cursor ? decodeCursor(q.cursor) : null;
      if (q.cursor && !after) throw new AppError('validation_failed', 'Invalid cursor');
      const { items, next } = await deps.activity.listSessions(historyFilter(claimsOf(res), q), q.limit, after);
      return { items, nextCursor: next ? encodeCursor(next) : null };
    },
  }),
  route({
    method: 'get',
    path: '/sessions/:id',
    tag: 'history',
    summary: 'One session and its page views, oldest first',
    params: sessionParamsSchema,
    reply: { description: 'The session', schema: sessionDetailSchema },
    errors: [401, [404, 'No such session in the caller’s scope (`not_found`): missing and foreign look alike']],
    handler: async ({ deps, params: { id }, res }) => {
      const claims = claimsOf(res);
      const ref = decodeSessionId(id);
      // Malformed, missing and out-of-scope ids answer alike: nothing tells them apart. The agency
      // is always the caller's, so another tenant's session is simply not found.
      const visible = ref && canSee(claims, { agencyId: claims.agencyId, userId: ref.userId });
      const detail = visible ? await deps.activity.sessionDetail(claims.agencyId, ref) : null;
      if (!detail) throw new AppError('not_found', 'No such session');
      return detail;
    },
  }),
  route({
    method: 'get',
    path: '/heatmap',
    tag: 'history',
    summary: 'Weekday × hour heatmap',
    description:
      '168 cells of page views and engaged time by local weekday and hour in `tz`, starting at `weekStart`; a page view counts in the hour of its start. Computed from the rollups; the sums equal `/summary`’s totals for the same filters and range. At most 800 days.',
    query: heatmapQuerySchema,
    reply: { description: 'The heatmap', schema: heatmapSchema },
    errors: HISTORY_ERRORS,
    handler: ({ deps, query: q, res }) => {
      const filter = historyFilter(claimsOf(res), q);
      return deps.heatmap({ ...filter, from: q.from, to: q.to }, { tz: q.tz, weekStart: q.weekStart });
    },
  }),
  route({
    method: 'delete',
    path: '/users/:userId/activity',
    tag: 'history',
    summary: 'Erase one user’s activity (privacy requests)',
    description:
      'Agency users only, for users of their own agency. Deletes the user’s page views and sessions, removes them from the rollups (every history answer drops them at once) and from live presence, and logs an audit line. Idempotent.',
    params: erasureParamsSchema,
    reply: { description: 'What was deleted', schema: erasureSchema },
    errors: [...HISTORY_ERRORS, 429],
    handler: ({ deps, params: { userId }, res }) => deps.erase(claimsOf(res), userId),
  }),
];
