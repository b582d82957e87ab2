import type { Namespace, Server, Socket } from 'socket.io';
import {
  NAMESPACES,
  trackEventSchema,
  type Ack,
  type DeviceClass,
  type TrackClientToServerEvents,
  type TrackServerToClientEvents,
} from '@activity-hub/protocol';
import { toErrorBody } from '../domain/app-error.ts';
import { deviceClass } from '../domain/device.ts';
import type { Claims } from '../domain/identity.ts';
import type { RateLimiter } from '../domain/rate-limiter.ts';
import type { TrackingMaintenance } from '../domain/tracking-maintenance.ts';
import type { TrackingService } from '../domain/tracking-service.ts';
import { parseOrThrow } from '../domain/validate.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { authenticate, type OriginPolicy, type SocketData } from './handshake.ts';
import { admit, chargeUnknownEvents, keyBudgets } from './socket-limits.ts';
import { renewHandler, stopWatching, watchExpiry } from './token-renewal.ts';

export interface TrackNamespaceDeps {
  verify: (token: string) => Promise<Claims>;
  service: TrackingService;
  /** Per-user budgets shared by every socket, instance and /collect. */
  limiter: RateLimiter;
  maintenance: TrackingMaintenance;
  policy: OriginPolicy;
  settings: { heartbeatIntervalMs: number; idleTimeoutMs: number };
  metrics: Metrics;
  log: Logger;
  isShuttingDown: () => boolean;
}

/** What a `/track` socket carries: its identity plus what its events need, kept in `socket.data`. */
interface TrackData extends SocketData {
  userAgent: string;
  device: DeviceClass;
}

type TrackSocket = Socket<TrackClientToServerEvents, TrackServerToClientEvents, Record<string, never>, TrackData>;

/**
 * The `/track` namespace: one socket per tab. Every event is charged to its user's budget
 * first, validated against the protocol's strict schema, and acked only once it is stored. The
 * handlers are shared by every socket (socket.io calls them with `this` bound to the socket),
 * and nothing per socket lives outside `socket.data`: no child logger, timer or closure per tab.
 */
export function registerTrackNamespace(io: Server, deps: TrackNamespaceDeps): Namespace {
  const nsp = io.of(NAMESPACES.track);
  const onAny = chargeUnknownEvents(deps.limiter, new Set(['event', 'auth']));
  nsp.use(authenticate(deps.verify, deps.policy));
  const bindings = (socket: TrackSocket) => ({
    socketId: socket.id,
    ns: 'track',
    userId: socket.data.claims.sub,
    agencyId: socket.data.claims.agencyId,
  });

  function onEvent(this: TrackSocket, event: unknown, ack: unknown): void {
    // Before anything else: a refused event is neither parsed nor given a promise (it is
    // counted by the limiter, in hub_rate_limited_total).
    if (!admit(deps.limiter, 'events', this as unknown as Socket, ack, 'events')) return;
    const reply = typeof ack === 'function' ? (ack as (r: Ack) => void) : () => {};
    const started = performance.now();
    let type = 'invalid';
    void (async () => {
      const data = this.data;
      const e = parseOrThrow(trackEventSchema, event, 'event');
      type = e.type;
      const ctx = { claims: data.claims, userAgent: data.userAgent, device: data.device, connection: this };
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
        // `unavailable` is logged once per outage by the database's availability watch, and
        // events still queued when their socket closed are refused as `unavailable` too.
        if (body.code === 'internal') deps.log.error({ err, ...bindings(this) }, 'event failed');
        else deps.log.debug({ code: body.code, ...bindings(this) }, 'event refused');
        reply({ ok: false, error: body });
      },
    );
  }

  const renew = renewHandler(deps.verify);
  function onAuth(this: Socket, token: unknown, ack: unknown): void {
    if (admit(deps.limiter, 'renew', this, ack, 'token renewals')) void renew.call(this, token, ack);
  }

  function onDisconnect(this: TrackSocket, reason: string): void {
    deps.metrics.socketsConnected.dec({ namespace: 'track' });
    stopWatching(this as unknown as Socket);
    deps.log.debug({ reason, ...bindings(this) }, 'tracker disconnected');
    deps.maintenance.disconnected(this.id, deps.isShuttingDown());
  }

  nsp.on('connection', (raw) => {
    const socket = raw as unknown as TrackSocket;
    const data = socket.data;
    data.userAgent = String(socket.handshake.headers['user-agent'] ?? '');
    data.device = deviceClass(data.userAgent);
    keyBudgets(socket as unknown as Socket);
    socket.onAny(onAny);
    deps.metrics.socketsConnected.inc({ namespace: 'track' });
    watchExpiry(socket as unknown as Socket);
    socket.emit('settings', { ...deps.settings, tokenExpiresAt: data.claims.exp * 1000 });
    socket.on('event', onEvent as never);
    socket.on('auth', onAuth as never);
    socket.on('disconnect', onDisconnect as never);
  });
  return nsp;
}
