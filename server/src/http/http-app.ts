import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { cors } from './cors.ts';
import { apiNotFound, errorHandler } from './error-handler.ts';
import { requestContext } from './request-context.ts';
import { rejectTokenInQuery } from './require-auth.ts';

export interface HttpParts {
  health: Router;
  /** Routes that need no hub token (sign-in, the unload fallback). */
  publicApi: Router[];
  /** Routes behind `auth`. */
  privateApi: Router[];
  auth: RequestHandler;
  /** Per-IP budget in front of `/auth/*`, before any body is read. */
  signInLimit: RequestHandler;
  /** Per-token budget, right after `auth`. */
  restLimit: RequestHandler;
  /** Non-API routes: docs, dashboard, tracker, demo. */
  pages: Router[];
  corsOrigins: string[] | '*';
  trustProxy: boolean;
}

/** Assembles the express app: ids and metrics, health, the versioned API, pages, one error handler. */
export function buildHttpApp(parts: HttpParts, log: Logger, metrics: Metrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parts.trustProxy);
  app.use(requestContext(log, metrics));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
    next();
  });
  app.use(parts.health);
  const api = express.Router();
  api.use(cors(parts.corsOrigins));
  // Every API route, public ones (sign-in, /collect) included: a token in a URL is refused.
  api.use(rejectTokenInQuery);
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  api.use('/auth', parts.signInLimit);
  api.use(express.json({ limit: '32kb' }));
  // `/me` is served with the sign-in routes but is a read like any other: the same token budget.
  api.use('/me', parts.auth, parts.restLimit);
  for (const r of parts.publicApi) api.use(r);
  api.use(parts.auth, parts.restLimit);
  for (const r of parts.privateApi) api.use(r);
  app.use('/api/v1', api);
  app.use('/api/v1', apiNotFound);
  for (const r of parts.pages) app.use(r);
  app.use(errorHandler(log));
  return app;
}
