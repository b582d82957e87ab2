import express from 'express';
import {
  LIMITS,
  collectBodySchema,
  collectResultSchema,
  trackEventSchema,
  type CollectResult,
} from '@activity-hub/protocol';
import { toErrorBody } from '../domain/app-error.ts';
import { deviceClass } from '../domain/device.ts';
import type { Claims } from '../domain/identity.ts';
import { rateLimited, userKey, type RateLimiter } from '../domain/rate-limiter.ts';
import type { TrackingService } from '../domain/tracking-service.ts';
import { parseOrThrow } from '../domain/validate.ts';
import { routesOf } from './route-def.ts';

/**
 * `POST /api/v1/collect`: the unload fallback. A beacon cannot set headers, so the body is
 * text/plain JSON holding the token and the same events (same ids) the socket would have sent;
 * the hub's id dedupe keeps them from being stored twice. Each event spends the same per-user
 * budget as the user's sockets; a refused one is answered `rate_limited` without being parsed,
 * and a request refused whole answers 429 with Retry-After.
 */
export interface CollectDeps {
  verify: (token: string) => Promise<Claims>;
  service: TrackingService;
  limiter: RateLimiter;
}

export const COLLECT_ROUTES = [
  routesOf<CollectDeps>()({
    method: 'post',
    path: '/collect',
    access: 'public',
    tag: 'tracking',
    summary: 'Unload fallback (sendBeacon): the token travels in the text/plain body',
    description:
      'Each element of `events` is a `TrackEvent` (see components), the same as the /track socket’s `event`; ids are deduplicated, so resending is safe.',
    before: () => [express.text({ type: ['text/plain', 'application/json'], limit: LIMITS.collectBodyBytes })],
    body: { schema: collectBodySchema, label: 'collect body', type: 'text/plain' },
    reply: { description: 'Per-event results', schema: collectResultSchema },
    errors: [400, 401, 413, 415],
    handler: async ({ deps: { verify, service, limiter }, req, body: parse }) => {
      const body = parse();
      const claims = await verify(body.token);
      const userAgent = String(req.headers['user-agent'] ?? '');
      const ctx = { claims, userAgent, device: deviceClass(userAgent), connection: null };
      const key = userKey(claims.agencyId, claims.sub);
      type Result = CollectResult['results'][number];
      const pending: (Result | Promise<Result>)[] = [];
      let wait = 0;
      // In order: a tab's events depend on each other (a heartbeat needs its page view). The
      // service applies a tab's events in the order it is handed them, so they are all handed
      // over now and their writes share a flush, rather than one flush per event.
      for (const raw of body.events) {
        const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : null;
        if (wait > 0 || (wait = limiter.take('events', key)) > 0) {
          // Once refused, the rest of the batch is too: a later event may depend on this one.
          pending.push({ id, ok: false, code: 'rate_limited' });
          continue;
        }
        const failed = (err: unknown): Result => ({ id, ok: false, code: toErrorBody(err).code });
        try {
          const done = service.handle(ctx, parseOrThrow(trackEventSchema, raw, 'event'));
          pending.push(done.then(() => ({ id, ok: true }), failed));
        } catch (err) {
          pending.push(failed(err));
        }
      }
      const results = await Promise.all(pending);
      if (wait > 0 && results.every((r) => !r.ok)) throw rateLimited(wait, 'events');
      return { results };
    },
  }),
];
