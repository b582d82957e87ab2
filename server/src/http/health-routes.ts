import { Router } from 'express';
import type { Registry } from 'prom-client';

/** A named dependency check; resolves when the dependency answers. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

const withTimeout = (p: Promise<void>, ms: number) =>
  Promise.race([p, new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

/** `/healthz` (liveness), `/readyz` (readiness, naming what is down) and `/metrics`. */
export function healthRoutes(checks: ReadinessCheck[], registry: Registry, isShuttingDown: () => boolean): Router {
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
  r.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return r;
}
