import { Router } from 'express';
import {
  erasureParamsSchema,
  heatmapQuerySchema,
  sessionParamsSchema,
  sessionsQuerySchema,
  type Erasure,
  type Heatmap,
  type SessionDetail,
  type SessionsPage,
} from '@activity-hub/protocol';
import { canSee } from '../domain/access.ts';
import { decodeSessionId, type ActivityRepository } from '../domain/activity-ports.ts';
import { AppError } from '../domain/app-error.ts';
import { decodeCursor, encodeCursor, type HistoryFilter } from '../domain/history-ports.ts';
import type { Claims } from '../domain/identity.ts';
import { parseOrThrow } from '../domain/validate.ts';
import { historyFilter } from './activity-routes.ts';
import { claimsOf } from './require-auth.ts';

export interface SessionRouteDeps {
  activity: ActivityRepository;
  heatmap(filter: HistoryFilter & { from: Date; to: Date }, spec: Pick<Heatmap, 'tz' | 'weekStart'>): Promise<Heatmap>;
  erase(claims: Claims, userId: string): Promise<Erasure>;
}

/** `/sessions`, `/sessions/:id`, `/heatmap` and erasure; mounted behind requireAuth, scoped by access.ts. */
export function sessionRoutes(deps: SessionRouteDeps): Router {
  const r = Router();

  r.get('/sessions', async (req, res) => {
    const q = parseOrThrow(sessionsQuerySchema, req.query, 'query');
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    if (q.cursor && !after) throw new AppError('validation_failed', 'Invalid cursor');
    const { items, next } = await deps.activity.listSessions(historyFilter(claimsOf(res), q), q.limit, after);
    res.json({ items, nextCursor: next ? encodeCursor(next) : null } satisfies SessionsPage);
  });

  r.get('/sessions/:id', async (req, res) => {
    const { id } = parseOrThrow(sessionParamsSchema, req.params, 'params');
    const claims = claimsOf(res);
    const ref = decodeSessionId(id);
    // Malformed, missing and out-of-scope ids answer alike: nothing tells them apart. The agency
    // is always the caller's, so another tenant's session is simply not found.
    const visible = ref && canSee(claims, { agencyId: claims.agencyId, userId: ref.userId });
    const detail: SessionDetail | null = visible ? await deps.activity.sessionDetail(claims.agencyId, ref) : null;
    if (!detail) throw new AppError('not_found', 'No such session');
    res.json(detail);
  });

  r.get('/heatmap', async (req, res) => {
    const q = parseOrThrow(heatmapQuerySchema, req.query, 'query');
    const filter = historyFilter(claimsOf(res), q);
    res.json(await deps.heatmap({ ...filter, from: q.from, to: q.to }, { tz: q.tz, weekStart: q.weekStart }));
  });

  r.delete('/users/:userId/activity', async (req, res) => {
    const { userId } = parseOrThrow(erasureParamsSchema, req.params, 'params');
    res.json(await deps.erase(claimsOf(res), userId));
  });

  return r;
}
