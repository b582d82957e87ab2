import type { Namespace, Server, Socket } from 'socket.io';
import {
  NAMESPACES,
  type Ack,
  type LiveClientToServerEvents,
  type LiveServerToClientEvents,
  type PresenceSnapshot,
} from '@activity-hub/protocol';
import { toErrorBody } from '../domain/app-error.ts';
import { liveRoomsFor } from '../domain/access.ts';
import type { Claims } from '../domain/identity.ts';
import type { RateLimiter } from '../domain/rate-limiter.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { authenticate, type OriginPolicy } from './handshake.ts';
import { admit, chargeUnknownEvents, keyBudgets, type LimitedSocketData } from './socket-limits.ts';
import { renewHandler, stopWatching, watchExpiry } from './token-renewal.ts';

export interface LiveNamespaceDeps {
  verify: (token: string) => Promise<Claims>;
  snapshot: (claims: Claims) => Promise<PresenceSnapshot>;
  /** Per-user budgets for `sync` and `auth`, shared by every socket and instance. */
  limiter: RateLimiter;
  policy: OriginPolicy;
  metrics: Metrics;
  log: Logger;
}

type LiveSocket = Socket<LiveClientToServerEvents, LiveServerToClientEvents, Record<string, never>, LimitedSocketData>;

/**
 * The `/live` namespace for dashboards. Rooms are joined from the token's claims only; the
 * first message is a presence snapshot in scope, then deltas arrive through the rooms.
 */
export function registerLiveNamespace(io: Server, deps: LiveNamespaceDeps): Namespace {
  const nsp = io.of(NAMESPACES.live);
  const onAny = chargeUnknownEvents(deps.limiter, new Set(['sync', 'auth']));
  nsp.use(authenticate(deps.verify, deps.policy));
  const renew = renewHandler(deps.verify);
  function onAuth(this: Socket, token: unknown, ack: unknown): void {
    if (admit(deps.limiter, 'renew', this, ack, 'token renewals')) void renew.call(this, token, ack);
  }
  nsp.on('connection', (raw) => {
    const socket = raw as unknown as LiveSocket;
    const { claims } = socket.data;
    keyBudgets(socket as unknown as Socket);
    socket.onAny(onAny);
    deps.metrics.socketsConnected.inc({ namespace: 'live' });
    watchExpiry(socket as unknown as Socket);
    // Join before reading the snapshot, so no delta falls between the two.
    void socket.join(liveRoomsFor(claims));
    deps.snapshot(claims).then(
      (snap) => socket.emit('snapshot', snap),
      (err: unknown) => {
        deps.log.error(
          { err, socketId: socket.id, ns: 'live', userId: claims.sub, agencyId: claims.agencyId },
          'snapshot failed',
        );
        socket.emit('bye', { code: 'unavailable', message: 'Presence is unavailable; retrying', reconnect: true });
        socket.disconnect(true);
      },
    );

    socket.on('sync', (ack: unknown) => {
      // Without an ack there is nothing to answer: it costs what any unknown event costs.
      if (typeof ack !== 'function') return void deps.limiter.take('events', socket.data.limitKey);
      if (!admit(deps.limiter, 'sync', socket as unknown as Socket, ack, 'snapshot requests')) return;
      const reply = ack as (r: Ack<PresenceSnapshot>) => void;
      deps.snapshot(socket.data.claims).then(
        (data) => reply({ ok: true, data }),
        (err: unknown) => reply({ ok: false, error: toErrorBody(err) }),
      );
    });
    socket.on('auth', onAuth as never);
    socket.on('disconnect', () => {
      deps.metrics.socketsConnected.dec({ namespace: 'live' });
      stopWatching(socket as unknown as Socket);
    });
  });
  return nsp;
}
