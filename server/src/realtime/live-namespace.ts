import type { Server } from 'socket.io';
import { NAMESPACES, type Ack, type PresenceSnapshot } from '@activity-hub/protocol';
import { toErrorBody } from '../domain/app-error.ts';
import { liveRoomsFor } from '../domain/access.ts';
import type { Claims } from '../domain/identity.ts';
import type { RateLimiter } from '../domain/rate-limiter.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { connectionStart } from './connection-start.ts';
import { authenticate, type OriginPolicy } from './handshake.ts';
import { admit } from './socket-limits.ts';
import type { LiveNamespace, LiveSocket } from './socket-types.ts';

export interface LiveNamespaceDeps {
  verify: (token: string) => Promise<Claims>;
  snapshot: (claims: Claims) => Promise<PresenceSnapshot>;
  /** Per-user budgets for `sync` and `auth`, shared by every socket and instance. */
  limiter: RateLimiter;
  policy: OriginPolicy;
  metrics: Metrics;
  log: Logger;
}

/**
 * The `/live` namespace for dashboards. Rooms are joined from the token's claims only; the
 * first message is a presence snapshot in scope, then deltas arrive through the rooms. Like
 * `/track`'s, its handlers are shared by every socket, with `this` bound to the socket.
 */
export function registerLiveNamespace(io: Server, deps: LiveNamespaceDeps): LiveNamespace {
  const nsp: LiveNamespace = io.of(NAMESPACES.live);
  nsp.use(authenticate(deps.verify, deps.policy));
  const { bindings, start } = connectionStart('live', ['sync'], deps);

  function onSync(this: LiveSocket, ack: unknown): void {
    // Without an ack there is nothing to answer: it costs what any unknown event costs.
    if (typeof ack !== 'function') return void deps.limiter.take('events', this.data.limitKey);
    if (!admit(deps.limiter, 'sync', this, ack, 'snapshot requests')) return;
    const reply = ack as (r: Ack<PresenceSnapshot>) => void;
    deps.snapshot(this.data.claims).then(
      (data) => reply({ ok: true, data }),
      (err: unknown) => reply({ ok: false, error: toErrorBody(err) }),
    );
  }

  nsp.on('connection', (socket) => {
    const { claims } = socket.data;
    start(socket);
    // Join before reading the snapshot, so no delta falls between the two.
    void socket.join(liveRoomsFor(claims));
    deps.snapshot(claims).then(
      (snap) => socket.emit('snapshot', snap),
      (err: unknown) => {
        deps.log.error({ err, ...bindings(socket) }, 'snapshot failed');
        socket.emit('bye', { code: 'unavailable', message: 'Presence is unavailable; retrying', reconnect: true });
        socket.disconnect(true);
      },
    );
    socket.on('sync', onSync);
  });
  return nsp;
}
