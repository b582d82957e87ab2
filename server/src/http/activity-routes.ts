import {
  directorySchema,
  pageviewPageSchema,
  pageviewsQuerySchema,
  presenceSnapshotSchema,
  type PresenceSnapshot,
} from '@activity-hub/protocol';
import { scopedFilter } from '../domain/access.ts';
import { AppError } from '../domain/app-error.ts';
import { decodeCursor, encodeCursor, type HistoryFilter, type HistoryRepository } from '../domain/history-ports.ts';
import type { Claims } from '../domain/identity.ts';
import { claimsOf } from './require-auth.ts';
import { routesOf } from './route-def.ts';

/** The errors every scoped history read may answer. */
export const HISTORY_ERRORS = [400, 401, 403];

/** Builds the scoped filter of a request: claims decide the scope, query filters only narrow it. */
export function historyFilter(
  claims: Claims,
  q: {
    userId?: string | undefined;
    locationId?: string | undefined;
    path?: string | undefined;
    from?: Date | undefined;
    to?: Date | undefined;
  },
): HistoryFilter {
  const f: HistoryFilter = { ...scopedFilter(claims, q) };
  if (q.path) f.path = q.path;
  if (q.from) f.from = q.from;
  if (q.to) f.to = q.to;
  if (f.from && f.to && f.from >= f.to) throw new AppError('validation_failed', '`from` must be before `to`');
  return f;
}

export interface ActivityDeps {
  history: HistoryRepository;
  snapshot: (claims: Claims) => Promise<PresenceSnapshot>;
}

const route = routesOf<ActivityDeps>();

/** `/pageviews`, `/presence` and `/directory`; mounted behind requireAuth. */
export const ACTIVITY_ROUTES = [
  route({
    method: 'get',
    path: '/pageviews',
    tag: 'history',
    summary: 'Stored page views, newest first',
    description: 'Cursor pagination: stable while new data arrives.',
    query: pageviewsQuerySchema,
    reply: { description: 'A page', schema: pageviewPageSchema },
    errors: HISTORY_ERRORS,
    handler: async ({ deps: { history }, query: q, res }) => {
      const after = q.cursor ? decodeCursor(q.cursor) : null;
      if (q.cursor && !after) throw new AppError('validation_failed', 'Invalid cursor');
      const { items, next } = await history.listPageviews(historyFilter(claimsOf(res), q), q.limit, after);
      return { items, nextCursor: next ? encodeCursor(next) : null };
    },
  }),
  route({
    method: 'get',
    path: '/directory',
    tag: 'history',
    summary: 'Locations and users in scope, for filter pickers',
    reply: { description: 'The directory', schema: directorySchema },
    errors: [401],
    handler: ({ deps: { history }, res }) => history.directory(historyFilter(claimsOf(res), {})),
  }),
  route({
    method: 'get',
    path: '/presence',
    tag: 'live',
    summary: 'Who is online now, in scope',
    reply: { description: 'A presence snapshot', schema: presenceSnapshotSchema },
    errors: [401],
    handler: ({ deps: { snapshot }, res }) => snapshot(claimsOf(res)),
  }),
];
