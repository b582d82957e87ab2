import { Router } from 'express';
import { pageviewsQuerySchema, type Page, type PageviewItem, type PresenceSnapshot } from '@activity-hub/protocol';
import { scopedFilter } from '../domain/access.ts';
import { AppError } from '../domain/app-error.ts';
import { decodeCursor, encodeCursor, type HistoryFilter, type HistoryRepository } from '../domain/history-ports.ts';
import type { Claims } from '../domain/identity.ts';
import { parseOrThrow } from '../domain/validate.ts';
import { claimsOf } from './require-auth.ts';

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

/** `/pageviews`, `/presence` and `/directory`; mounted behind requireAuth. */
export function activityRoutes(
  history: HistoryRepository,
  snapshot: (claims: Claims) => Promise<PresenceSnapshot>,
): Router {
  const r = Router();
  r.get('/pageviews', async (req, res) => {
    const q = parseOrThrow(pageviewsQuerySchema, req.query, 'query');
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    if (q.cursor && !after) throw new AppError('validation_failed', 'Invalid cursor');
    const { items, next } = await history.listPageviews(historyFilter(claimsOf(res), q), q.limit, after);
    res.json({ items, nextCursor: next ? encodeCursor(next) : null } satisfies Page<PageviewItem>);
  });
  r.get('/presence', async (_req, res) => {
    res.json(await snapshot(claimsOf(res)));
  });
  r.get('/directory', async (_req, res) => {
    res.json(await history.directory(historyFilter(claimsOf(res), {})));
  });
  return r;
}
