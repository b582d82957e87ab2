import type { Namespace, Server, Socket } from 'socket.io';
import {
  LIMITS,
  NAMESPACES,
  trackEventSchema,
  type Ack,
  type TrackClientToServerEvents,
  type TrackServerToClientEvents,
} from '@activity-hub/protocol';
import { AppError, toErrorBody } from '../domain/app-error.ts';
import { deviceClass } from '../domain/device.ts';
import type { Claims } from '../domain/identity.ts';
import type { TrackingMaintenance } from '../domain/tracking-maintenance.ts';
import type { TrackingService } from '../domain/tracking-service.ts';
import { parseOrThrow } from '../domain/validate.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { authenticate, type OriginPolicy, type SocketData } from './handshake.ts';
import { TokenBucket } from './rate-limit.ts';
import { renewHandler, stopWatching, watchExpiry } from './token-renewal.ts';

export interface TrackNamespaceDeps {
  verify: (token: string) => Promise<Claims>;
  service: TrackingService;
  maintenance: TrackingMaintenance;
  policy: OriginPolicy;
  settings: { heartbeatIntervalMs: number; idleTimeoutMs: number };
  metrics: Metrics;
  log: Logger;
  isShuttingDown: () => boolean;
}

type TrackSocket = Socket<TrackClientToServerEvents, TrackServerToClientEvents, Record<string, never>, SocketData>;

/**
 * The `/track` namespace: one socket per tab. Every event is validated against the protocol's
 * strict schema, rate limited per socket, and acked only once it is stored.
 */
export function registerTrackNamespace(io: Server, deps: TrackNamespaceDeps): Namespace {
  const nsp = io.of(NAMESPACES.track);
  nsp.use(authenticate(deps.verify, deps.policy));
  nsp.on('connection', (raw) => {
    const socket = raw as unknown as TrackSocket;
    const { claims } = socket.data;
    const log = deps.log.child({ socketId: socket.id, ns: 'track', userId: claims.sub, agencyId: claims.agencyId });
    const userAgent = String(socket.handshake.headers['user-agent'] ?? '');
    const device = deviceClass(userAgent);
    const bucket = new TokenBucket(LIMITS.ratePerSecond, LIMITS.rateBurst);
    deps.metrics.socketsConnected.inc({ namespace: 'track' });
    watchExpiry(socket as unknown as Socket);
    socket.emit('settings', { ...deps.settings, tokenExpiresAt: claims.exp * 1000 });

    socket.on('event', (event: unknown, ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: Ack) => void) : () => {};
      const started = performance.now();
      let type = 'invalid';
      void (async () => {
        if (!bucket.take()) throw new AppError('rate_limited', 'Too many events; slow down');
        const e = parseOrThrow(trackEventSchema, event, 'event');
        type = e.type;
        const ctx = { claims: socket.data.claims, userAgent, device, connectionId: socket.id };
        await deps.service.handle(ctx, e);
      })().then(
        () => {
          deps.metrics.events.inc({ type, outcome: 'ok' });
          deps.metrics.ackLatency.observe({ type }, performance.now() - started);
          reply({ ok: true });
        },
        (err: unknown) => {
          const body = toErrorBody(err);
          deps.metrics.events.inc({ type, outcome: body.code });
          // `unavailable` is logged once per outage by the database's availability watch.
          if (body.code === 'internal') log.error({ err }, 'event failed');
          else log.debug({ code: body.code }, 'event refused');
          reply({ ok: false, error: body });
        },
      );
    });

    socket.on('auth', renewHandler(socket as unknown as Socket, deps.verify));

    socket.on('disconnect', (reason) => {
      deps.metrics.socketsConnected.dec({ namespace: 'track' });
      stopWatching(socket as unknown as Socket);
      log.debug({ reason }, 'tracker disconnected');
      deps.maintenance.disconnected(socket.id, deps.isShuttingDown());
    });
  });
  return nsp;
}
