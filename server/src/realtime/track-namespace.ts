import type { Server } from 'socket.io';
import { NAMESPACES, trackEventSchema, type Ack } from '@activity-hub/protocol';
import { toErrorBody } from '../domain/app-error.ts';
import { deviceClass } from '../domain/device.ts';
import type { Claims } from '../domain/identity.ts';
import type { RateLimiter } from '../domain/rate-limiter.ts';
import type { TrackingMaintenance } from '../domain/tracking-maintenance.ts';
import type { TrackingService } from '../domain/tracking-service.ts';
import { parseOrThrow } from '../domain/validate.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { connectionStart } from './connection-start.ts';
import { authenticate, type OriginPolicy } from './handshake.ts';
import { admit } from './socket-limits.ts';
import type { HubSocket, TrackNamespace, TrackSocket } from './socket-types.ts';

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

/**
 * The `/track` namespace: one socket per tab. Every event is charged to its user's budget
 * first, validated against the protocol's strict schema, and acked only once it is stored. The
 * handlers are shared by every socket (socket.io calls them with `this` bound to the socket),
 * and nothing per socket lives outside `socket.data`: no child logger, timer or closure per tab.
 */
export function registerTrackNamespace(io: Server, deps: TrackNamespaceDeps): TrackNamespace {
  const nsp: TrackNamespace = io.of(NAMESPACES.track);
  nsp.use(authenticate(deps.verify, deps.policy));
  const { bindings, start } = connectionStart('track', ['event'], deps, onDisconnect);

  function onEvent(this: TrackSocket, event: unknown, ack: unknown): void {
    // Before anything else: a refused event is neither parsed nor given a promise (it is
    // counted by the limiter, in hub_rate_limited_total).
    if (!admit(deps.limiter, 'events', this, ack, 'events')) return;
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

  // After the shared part (connection-start.ts): the count and the expiry watch are undone.
  function onDisconnect(this: HubSocket, reason: string): void {
    deps.log.debug({ reason, ...bindings(this) }, 'tracker disconnected');
    deps.maintenance.disconnected(this.id, deps.isShuttingDown());
  }

  nsp.on('connection', (socket) => {
    const data = socket.data;
    data.userAgent = String(socket.handshake.headers['user-agent'] ?? '');
    data.device = deviceClass(data.userAgent);
    start(socket);
    socket.emit('settings', { ...deps.settings, tokenExpiresAt: data.claims.exp * 1000 });
    socket.on('event', onEvent);
  });
  return nsp;
}
