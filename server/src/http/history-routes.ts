import {
  filterSchema,
  summaryQuerySchema,
  topPagesQuerySchema,
  summarySchema,
  topPagesSchema,
  usersQuerySchema,
  usersStatsSchema,
} from '@activity-hub/protocol';
import type { HistoryStats } from '../domain/history-stats.ts';
import type { PageviewExporter } from '../domain/stats-ports.ts';
import { HISTORY_ERRORS, historyFilter } from './activity-routes.ts';
import { CSV_COLUMNS, exportFilename, streamCsv } from './csv-export.ts';
import { claimsOf } from './require-auth.ts';
import { routesOf } from './route-def.ts';

export interface HistoryDeps {
  stats: HistoryStats;
  exporter: PageviewExporter;
}

const route = routesOf<HistoryDeps>();

/**
 * `/summary`, `/top-pages`, `/users` and `/export.csv`; mounted behind requireAuth. Every
 * query is scoped by `historyFilter` (claims decide the scope, filters only narrow it).
 */
export const HISTORY_ROUTES = [
  route({
    method: 'get',
    path: '/summary',
    tag: 'history',
    summary: 'Daily, weekly or monthly totals',
    description:
      'Calendar buckets of `tz` covering [from, to) widened to whole buckets (DST days are 23 or 25 hours), empty ones included; totals count distinct users; `previous` is the same number of buckets just before. At most 400 days, 120 weeks or 60 months.',
    query: summaryQuerySchema,
    reply: { description: 'The summary', schema: summarySchema },
    errors: HISTORY_ERRORS,
    handler: ({ deps: { stats }, query: q, res }) => {
      const filter = historyFilter(claimsOf(res), q);
      return stats.summary(
        { ...filter, from: q.from, to: q.to },
        { granularity: q.granularity, tz: q.tz, weekStart: q.weekStart },
      );
    },
  }),
  route({
    method: 'get',
    path: '/top-pages',
    tag: 'history',
    summary: 'Pages by page views',
    description: 'Paths with page views, engaged time and distinct users, most viewed first.',
    query: topPagesQuerySchema,
    reply: { description: 'Top pages', schema: topPagesSchema },
    errors: HISTORY_ERRORS,
    handler: async ({ deps: { stats }, query: q, res }) => ({
      items: await stats.topPages(historyFilter(claimsOf(res), q), q.limit),
    }),
  }),
  route({
    method: 'get',
    path: '/users',
    tag: 'history',
    summary: 'Users by page views',
    description: 'Per user: page views, engaged time, last activity, most-used location.',
    query: usersQuerySchema,
    reply: { description: 'Users', schema: usersStatsSchema },
    errors: HISTORY_ERRORS,
    handler: async ({ deps: { stats }, query: q, res }) => ({
      items: await stats.users(historyFilter(claimsOf(res), q), q.limit),
    }),
  }),
  route({
    method: 'get',
    path: '/export.csv',
    tag: 'history',
    summary: 'CSV export of page views',
    description: `Streams every page view in scope, oldest first, as an attachment. Columns: ${CSV_COLUMNS.join(', ')}. Cells a spreadsheet would run as a formula start with \`'\`.`,
    query: filterSchema,
    reply: { description: 'CSV file', type: 'text/csv' },
    errors: HISTORY_ERRORS,
    handler: async ({ deps: { exporter }, query: q, res }) => {
      const filter = historyFilter(claimsOf(res), q);
      const rows = await exporter.exportPageviews(filter);
      await streamCsv(res, rows, exportFilename(q.from, q.to));
    },
  }),
];
