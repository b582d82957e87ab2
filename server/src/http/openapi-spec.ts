import {
  collectBodySchema,
  devLoginSchema,
  filterSchema,
  pageviewsQuerySchema,
  ssoBodySchema,
  summaryQuerySchema,
  topPagesQuerySchema,
  trackEventSchema,
  usersQuerySchema,
} from '@activity-hub/protocol';
import { activityPaths, ACTIVITY_SCHEMAS } from './openapi-activity.ts';
import { body, history, inputSchema, itemsOf, PUBLIC, SOCKETS, type Json } from './openapi-parts.ts';
import { COMPONENT_SCHEMAS, errorReplies, jsonReply } from './openapi-schemas.ts';

/** The OpenAPI 3.1 document of every route of the hub. Built once; it only depends on code. */
export function buildOpenApi(version = '0.1.0'): Json {
  const v1 = '/api/v1';
  return {
    openapi: '3.1.0',
    info: {
      title: 'Activity Hub API',
      version,
      description:
        'Realtime activity tracking for multi-tenant SaaS. Every `/api/v1` route needs `Authorization: Bearer <hub token>` unless marked public; tokens in the URL are refused. Hub tokens carry a scope, decided by the `Origin` of the sign-in request: `read` (a dashboard’s) opens every route, `track` (a tracker’s) only `/collect`, `/auth/refresh` and the `/track` socket, and answers 403 `token_scope` elsewhere. Agency users see their whole agency, location users only their own activity; filters narrow that scope, never widen it. Errors are `{error:{code,message}}`. Live updates use Socket.io: see `x-socket-io`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: ['read'] }],
    tags: [{ name: 'auth' }, { name: 'tracking' }, { name: 'history' }, { name: 'live' }, { name: 'operations' }],
    paths: {
      [`${v1}/auth/config`]: {
        get: {
          tags: ['auth'],
          summary: 'Sign-in methods this hub offers',
          ...PUBLIC,
          responses: { 200: jsonReply('Sign-in options', 'AuthConfig') },
        },
      },
      [`${v1}/auth/dev`]: {
        post: {
          tags: ['auth'],
          summary: 'Dev login (only without SSO, never in production)',
          ...PUBLIC,
          requestBody: body(devLoginSchema),
          responses: { 200: jsonReply('A hub token', 'AuthReply'), ...errorReplies([400, 404]) },
        },
      },
      [`${v1}/auth/sso`]: {
        post: {
          tags: ['auth'],
          summary: 'HighLevel SSO: exchange the encrypted user context',
          ...PUBLIC,
          requestBody: body(ssoBodySchema),
          responses: { 200: jsonReply('A hub token', 'AuthReply'), ...errorReplies([400, 404]) },
        },
      },
      [`${v1}/auth/token`]: {
        post: {
          tags: ['auth'],
          summary: 'Exchange the platform’s own JWT (as Bearer) for a hub token',
          security: [{ upstreamJwt: [] }],
          responses: { 200: jsonReply('A hub token', 'AuthReply'), ...errorReplies([401, 404]) },
        },
      },
      [`${v1}/auth/refresh`]: {
        post: {
          tags: ['auth'],
          summary: 'Renew a still-valid hub token, keeping its scope',
          description: 'Takes a token of either scope (`track` or `read`) and returns one of the same scope.',
          security: [{ bearer: ['track', 'read'] }],
          responses: { 200: jsonReply('A new hub token', 'AuthReply'), ...errorReplies([401]) },
        },
      },
      [`${v1}/me`]: {
        get: {
          tags: ['auth'],
          summary: 'The caller’s identity',
          responses: { 200: jsonReply('The caller', 'HubUser'), ...errorReplies([401]) },
        },
      },
      [`${v1}/collect`]: {
        post: {
          tags: ['tracking'],
          summary: 'Unload fallback (sendBeacon): the token travels in the text/plain body',
          ...PUBLIC,
          requestBody: body(collectBodySchema, 'text/plain'),
          description:
            'Each element of `events` is a `TrackEvent` (see components), the same as the /track socket’s `event`; ids are deduplicated, so resending is safe.',
          responses: { 200: jsonReply('Per-event results', 'CollectResult'), ...errorReplies([400, 401, 413, 415]) },
        },
      },
      [`${v1}/pageviews`]: history(
        'Stored page views, newest first',
        'Cursor pagination: stable while new data arrives.',
        pageviewsQuerySchema,
        jsonReply('A page', 'PageviewPage'),
      ),
      [`${v1}/summary`]: history(
        'Daily, weekly or monthly totals',
        'Calendar buckets of `tz` covering [from, to) widened to whole buckets (DST days are 23 or 25 hours), empty ones included; totals count distinct users; `previous` is the same number of buckets just before. At most 400 days, 120 weeks or 60 months.',
        summaryQuerySchema,
        jsonReply('The summary', 'Summary'),
      ),
      [`${v1}/top-pages`]: history(
        'Pages by page views',
        'Paths with page views, engaged time and distinct users, most viewed first.',
        topPagesQuerySchema,
        jsonReply('Top pages', itemsOf('TopPage')),
      ),
      [`${v1}/users`]: history(
        'Users by page views',
        'Per user: page views, engaged time, last activity, most-used location.',
        usersQuerySchema,
        jsonReply('Users', itemsOf('UserStats')),
      ),
      [`${v1}/export.csv`]: history(
        'CSV export of page views',
        "Streams every page view in scope, oldest first, as an attachment. Columns: id, startedAt, endedAt, userId, userName, locationId, path, title, url, referrer, engagedMs, endReason, sessionId. Cells a spreadsheet would run as a formula start with `'`.",
        filterSchema,
        { description: 'CSV file', content: { 'text/csv': { schema: { type: 'string' } } } },
      ),
      ...activityPaths(v1),
      [`${v1}/directory`]: {
        get: {
          tags: ['history'],
          summary: 'Locations and users in scope, for filter pickers',
          responses: { 200: jsonReply('The directory', 'Directory'), ...errorReplies([401]) },
        },
      },
      [`${v1}/presence`]: {
        get: {
          tags: ['live'],
          summary: 'Who is online now, in scope',
          responses: { 200: jsonReply('A presence snapshot', 'PresenceSnapshot'), ...errorReplies([401]) },
        },
      },
      [`${v1}/openapi.json`]: {
        get: {
          tags: ['operations'],
          summary: 'This document',
          ...PUBLIC,
          responses: { 200: { description: 'OpenAPI 3.1 document' } },
        },
      },
      '/healthz': {
        get: { tags: ['operations'], summary: 'Liveness', ...PUBLIC, responses: { 200: jsonReply('Alive', 'Health') } },
      },
      '/readyz': {
        get: {
          tags: ['operations'],
          summary: 'Readiness: every dependency answers',
          ...PUBLIC,
          responses: {
            200: jsonReply('Ready', 'Readiness'),
            503: jsonReply('Not ready (names what is down)', 'Readiness'),
          },
        },
      },
      '/metrics': {
        get: {
          tags: ['operations'],
          summary: 'Prometheus metrics: Bearer METRICS_TOKEN, or a direct loopback caller when it is unset',
          ...PUBLIC,
          responses: {
            200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A hub token from one of the /auth routes. Its scope (`track` or `read`, listed in each security requirement) is decided by the Origin of the sign-in request.',
        },
        upstreamJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The platform’s own identity token',
        },
      },
      schemas: { ...COMPONENT_SCHEMAS, ...ACTIVITY_SCHEMAS, TrackEvent: inputSchema(trackEventSchema) },
    },
    'x-socket-io': SOCKETS,
  };
}
