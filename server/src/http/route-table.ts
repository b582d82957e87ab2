import type { Router } from 'express';
import { ACTIVITY_ROUTES, type ActivityDeps } from './activity-routes.ts';
import { COLLECT_ROUTES, type CollectDeps } from './collect-route.ts';
import { HEALTH_ROUTES, type HealthDeps } from './health-routes.ts';
import { HISTORY_ROUTES, type HistoryDeps } from './history-routes.ts';
import { DOCS_ROUTES, type DocsDeps } from './openapi-route.ts';
import { routerOf, type Route } from './route-def.ts';
import { AUTH_ROUTES, type AuthRouteDeps } from './routes/auth-routes.ts';
import { SESSION_ROUTES, type SessionRouteDeps } from './session-routes.ts';

/** Everything the routes' handlers use, joined in app.ts. */
export type ApiDeps = AuthRouteDeps &
  CollectDeps &
  DocsDeps &
  HealthDeps &
  ActivityDeps &
  HistoryDeps &
  SessionRouteDeps;

export const API_PREFIX = '/api/v1';

/**
 * Every route of the hub, by where http-app.ts mounts it. The express wiring and the OpenAPI
 * document (openapi-spec.ts) are both built from this one table.
 */
export const ROUTE_TABLE = {
  /** At the root, before the API: health, readiness, metrics. */
  ops: HEALTH_ROUTES,
  /** Under `/api/v1`, without the API's token check: sign-in, the beacon fallback, the docs. */
  public: [...AUTH_ROUTES, ...COLLECT_ROUTES, ...DOCS_ROUTES],
  /** Under `/api/v1`, behind the read-scope token check and the per-token budget. */
  private: [...ACTIVITY_ROUTES, ...HISTORY_ROUTES, ...SESSION_ROUTES],
} satisfies Record<string, readonly Route<ApiDeps>[]>;

export type RouteGroup = keyof typeof ROUTE_TABLE;

/** A route's full path in OpenAPI form (`/api/v1/sessions/{id}`). */
export const specPath = (group: RouteGroup, path: string): string =>
  `${group === 'ops' ? '' : API_PREFIX}${path}`.replace(/:(\w+)/g, '{$1}');

/** Every route with its full OpenAPI path, in table order. */
export const allRoutes = (): { path: string; route: Route<ApiDeps> }[] =>
  (Object.keys(ROUTE_TABLE) as RouteGroup[]).flatMap((g) =>
    ROUTE_TABLE[g].map((route: Route<ApiDeps>) => ({ path: specPath(g, route.path), route })),
  );

/** One router per group, each route behind its own middleware. */
export const routeRouters = (deps: ApiDeps): Record<RouteGroup, Router> => ({
  ops: routerOf(ROUTE_TABLE.ops, deps),
  public: routerOf(ROUTE_TABLE.public, deps),
  private: routerOf(ROUTE_TABLE.private, deps),
});
