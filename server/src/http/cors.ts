import type { RequestHandler } from 'express';

/**
 * CORS for the API: trackers post page data from the platform's origin, and dashboards may be
 * served elsewhere. Tokens travel in headers or bodies, never cookies, so credentials stay off.
 */
export function cors(allowed: string[] | '*'): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && (allowed === '*' || allowed.includes(origin))) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}
