import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { healthSchema, readinessSchema, type Readiness } from '@activity-hub/protocol';
import type { Registry } from 'prom-client';
import { AppError } from '../domain/app-error.ts';
import { routesOf } from './route-def.ts';

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

export interface HealthDeps {
  checks: ReadinessCheck[];
  registry: Registry;
  isShuttingDown: () => boolean;
  metricsToken?: string | undefined;
}

const route = routesOf<HealthDeps>();

/** `/healthz` (liveness), `/readyz` (readiness, naming what is down) and `/metrics`; at the root. */
export const HEALTH_ROUTES = [
  route({
    method: 'get',
    path: '/healthz',
    access: 'public',
    tag: 'operations',
    summary: 'Liveness',
    reply: { description: 'Alive', schema: healthSchema },
    handler: () => ({ status: 'ok' as const }),
  }),
  route({
    method: 'get',
    path: '/readyz',
    access: 'public',
    tag: 'operations',
    summary: 'Readiness: every dependency answers',
    reply: { description: 'Ready', schema: readinessSchema },
    replies: { 503: { description: 'Not ready (names what is down)', schema: readinessSchema } },
    handler: async ({ deps: { checks, isShuttingDown }, res }): Promise<Readiness> => {
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
      const body = { status: down.length ? 'unavailable' : 'ready', checks: Object.fromEntries(results) } as const;
      if (down.length === 0) return body;
      res.status(503);
      return { ...body, error: { code: 'unavailable', message: `Not ready: ${down.join(', ')} down` } };
    },
  }),
  route({
    method: 'get',
    path: '/metrics',
    access: 'public',
    tag: 'operations',
    summary: 'Prometheus metrics: Bearer METRICS_TOKEN, or a direct loopback caller when it is unset',
    reply: { description: 'Prometheus text format', type: 'text/plain' },
    handler: async ({ deps: { registry, metricsToken }, req, res }) => {
      if (!metricsAllowed(req, metricsToken)) {
        throw metricsToken
          ? new AppError('unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>')
          : new AppError('forbidden', 'Without METRICS_TOKEN, /metrics answers only direct loopback callers');
      }
      res.setHeader('Content-Type', registry.contentType);
      res.send(await registry.metrics());
    },
  }),
];
