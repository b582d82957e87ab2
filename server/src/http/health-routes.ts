import { timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import type { Registry } from 'prom-client';
import { AppError } from '../domain/app-error.ts';

/** A named dependency check; resolves when the dependency answers. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

const withTimeout = (p: Promise<void>, ms: number) =>
  Promise.race([p, new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Who may scrape `/metrics`: with `METRICS_TOKEN`, only `Authorization: Bearer <it>`; without
 * one, only a direct loopback caller (no proxy header: a proxy on the same host would otherwise
 * make every outside request look local).
 */
export function metricsAllowed(req: Request, token: string | undefined): boolean {
  if (token) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(token);
    return given.length === want.length && timingSafeEqual(given, want);
  }
  const proxied = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
  return !proxied && LOOPBACK.has(req.socket.remoteAddress ?? '');
}

/** `/healthz` (liveness), `/readyz` (readiness, naming what is down) and `/metrics`. */
export function healthRoutes(
  checks: ReadinessCheck[],
  registry: Registry,
  isShuttingDown: () => boolean,
  metricsToken?: string,
): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async (c) => {
        try {
          await withTimeout(c.check(), 2_000);
          return [c.name, 'up'] as const;
        } catch {
          return [c.name, 'down'] as const;
        }
      }),
    );
    const down = results.filter(([, s]) => s === 'down').map(([n]) => n);
    if (isShuttingDown()) down.push('shutting-down');
    const body = { status: down.length ? 'unavailable' : 'ready', checks: Object.fromEntries(results) };
    if (down.length === 0) {
      res.json(body);
      return;
    }
    res.status(503).json({ ...body, error: { code: 'unavailable', message: `Not ready: ${down.join(', ')} down` } });
  });
  r.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req, metricsToken)) {
      throw metricsToken
        ? new AppError('unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>')
        : new AppError('forbidden', 'Without METRICS_TOKEN, /metrics answers only direct loopback callers');
    }
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return r;
}
