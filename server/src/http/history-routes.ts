import { Router } from 'express';
import {
  filterSchema,
  summaryQuerySchema,
  topPagesQuerySchema,
  usersQuerySchema,
  type Summary,
  type TopPage,
  type UserStats,
} from '@activity-hub/protocol';
import type { HistoryStats } from '../domain/history-stats.ts';
import type { PageviewExporter } from '../domain/stats-ports.ts';
import { parseOrThrow } from '../domain/validate.ts';
import { historyFilter } from './activity-routes.ts';
import { exportFilename, streamCsv } from './csv-export.ts';
import { claimsOf } from './require-auth.ts';

/**
 * `/summary`, `/top-pages`, `/users` and `/export.csv`; mounted behind requireAuth. Every
 * query is scoped by `historyFilter` (claims decide the scope, filters only narrow it).
 */
export function historyRoutes(stats: HistoryStats, exporter: PageviewExporter): Router {
  const r = Router();

  r.get('/summary', async (req, res) => {
    const q = parseOrThrow(summaryQuerySchema, req.query, 'query');
    const filter = historyFilter(claimsOf(res), q);
    const summary: Summary = await stats.summary(
      { ...filter, from: q.from, to: q.to },
      { granularity: q.granularity, tz: q.tz, weekStart: q.weekStart },
    );
    res.json(summary);
  });

  r.get('/top-pages', async (req, res) => {
    const q = parseOrThrow(topPagesQuerySchema, req.query, 'query');
    const items: TopPage[] = await stats.topPages(historyFilter(claimsOf(res), q), q.limit);
    res.json({ items });
  });

  r.get('/users', async (req, res) => {
    const q = parseOrThrow(usersQuerySchema, req.query, 'query');
    const items: UserStats[] = await stats.users(historyFilter(claimsOf(res), q), q.limit);
    res.json({ items });
  });

  r.get('/export.csv', async (req, res) => {
    const q = parseOrThrow(filterSchema, req.query, 'query');
    const filter = historyFilter(claimsOf(res), q);
    const rows = await exporter.exportPageviews(filter);
    await streamCsv(res, rows, exportFilename(q.from, q.to));
  });

  return r;
}
