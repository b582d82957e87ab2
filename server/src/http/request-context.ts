import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

/** Gives each request an id (echoed as X-Request-Id), logs it once it ends, and counts it. */
export function requestContext(log: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const started = performance.now();
    res.on('finish', () => {
      const route =
        (req.route as { path?: string } | undefined)?.path ??
        (res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'static');
      metrics.httpRequests.inc({
        method: req.method,
        route: `${req.baseUrl}${typeof route === 'string' && route !== req.baseUrl ? route : ''}`,
        status: res.statusCode,
      });
      // The path only: query strings may carry things that must never reach logs. `originalUrl`:
      // by now a mounted router may have left `req.path` relative to its mount point.
      log.debug(
        {
          reqId: req.id,
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    next();
  };
}
