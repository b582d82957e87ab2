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
import type { DeviceClass } from '@activity-hub/protocol';
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

/** What a `/track` socket carries: its identity plus what its events need, kept in `socket.data`. */
interface TrackData extends SocketData {
  bucket: TokenBucket;
  userAgent: string;
  device: DeviceClass;
}

type TrackSocket = Socket<TrackClientToServerEvents, TrackServerToClientEvents, Record<string, never>, TrackData>;

/**
 * The `/track` namespace: one socket per tab. Every event is validated against the protocol's
 * strict schema, rate limited per socket, and acked only once it is stored. The handlers are
 * shared by every socket (socket.io calls them with `this` bound to the socket), and nothing
 * per socket lives outside `socket.data`: no child logger, timer or closure per tab.
 */
export function registerTrackNamespace(io: Server, deps: TrackNamespaceDeps): Namespace {
  const nsp = io.of(NAMESPACES.track);
  nsp.use(authenticate(deps.verify, deps.policy));
  const bindings = (socket: TrackSocket) => ({
    socketId: socket.id,
    ns: 'track',
    userId: socket.data.claims.sub,
    agencyId: socket.data.claims.agencyId,
  });

  function onEvent(this: TrackSocket, event: unknown, ack: unknown): void {
    const reply = typeof ack === 'function' ? (ack as (r: Ack) => void) : () => {};
    const started = performance.now();
    let type = 'invalid';
    void (async () => {
      const data = this.data;
      if (!data.bucket.take()) throw new AppError('rate_limited', 'Too many events; slow down');
      const e = parseOrThrow(trackEventSchema, event, 'event');
      type = e.type;
      const ctx = { claims: data.claims, userAgent: data.userAgent, device: data.device, connectionId: this.id };
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
        if (body.code === 'internal' || body.code === 'unavailable')
          deps.log.error({ err, ...bindings(this) }, 'event failed');
        else deps.log.debug({ code: body.code, ...bindings(this) }, 'event refused');
        reply({ ok: false, error: body });
      },
    );
  }

  function onDisconnect(this: TrackSocket, reason: string): void {
    deps.metrics.socketsConnected.dec({ namespace: 'track' });
    stopWatching(this as unknown as Socket);
    deps.log.debug({ reason, ...bindings(this) }, 'tracker disconnected');
    deps.maintenance.disconnected(this.id, deps.isShuttingDown());
  }

  const onAuth = renewHandler(deps.verify);

  nsp.on('connection', (raw) => {
    const socket = raw as unknown as TrackSocket;
    const data = socket.data;
    data.userAgent = String(socket.handshake.headers['user-agent'] ?? '');
    data.device = deviceClass(data.userAgent);
    data.bucket = new TokenBucket(LIMITS.ratePerSecond, LIMITS.rateBurst);
    deps.metrics.socketsConnected.inc({ namespace: 'track' });
    watchExpiry(socket as unknown as Socket);
    socket.emit('settings', { ...deps.settings, tokenExpiresAt: data.claims.exp * 1000 });
    socket.on('event', onEvent as never);
    socket.on('auth', onAuth as never);
    socket.on('disconnect', onDisconnect as never);
  });
  return nsp;
}
