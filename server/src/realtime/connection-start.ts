import type { NAMESPACES } from '@activity-hub/protocol';
import type { Claims } from '../domain/identity.ts';
import type { RateLimiter } from '../domain/rate-limiter.ts';
import type { Metrics } from '../metrics.ts';
import { admit, chargeUnknownEvents, keyBudgets } from './socket-limits.ts';
import type { HubSocket } from './socket-types.ts';
import { renewHandler, stopWatching, watchExpiry } from './token-renewal.ts';

export interface ConnectionStartDeps {
  verify: (token: string) => Promise<Claims>;
  /** Per-user budgets: unknown events and token renewals are charged here. */
  limiter: RateLimiter;
  metrics: Metrics;
}

export interface ConnectionStart {
  /** A socket's log bindings, built only when a line is written (no child logger per socket). */
  bindings(socket: HubSocket): { socketId: string; ns: string; userId: string; agencyId: string };
  /**
   * Starts a verified socket, before the namespace's own handlers: keys its budgets, charges
   * events no handler knows, counts it, watches its token's expiry, answers token renewals
   * (`auth`, with its own budget), and undoes the count and the watch on disconnect.
   */
  start(socket: HubSocket): void;
}

/**
 * What both namespaces do with every socket, written once. Every handler it registers is one
 * function shared by every socket (socket.io calls it with `this` bound to the socket): nothing
 * per socket lives outside `socket.data`, since the hub holds 15,000 of them. `known` names the
 * namespace's own events (`auth` is added); `onDisconnect`, if any, runs after the shared part.
 */
export function connectionStart(
  ns: keyof typeof NAMESPACES,
  known: readonly string[],
  deps: ConnectionStartDeps,
  onDisconnect?: (this: HubSocket, reason: string) => void,
): ConnectionStart {
  const labels = { namespace: ns };
  const onAny = chargeUnknownEvents(deps.limiter, new Set([...known, 'auth']));
  const renew = renewHandler(deps.verify);

  function onAuth(this: HubSocket, token: unknown, ack: unknown): void {
    if (admit(deps.limiter, 'renew', this, ack, 'token renewals')) void renew.call(this, token, ack);
  }

  function onEnd(this: HubSocket, reason: string): void {
    deps.metrics.socketsConnected.dec(labels);
    stopWatching(this);
    onDisconnect?.call(this, reason);
  }

  return {
    bindings: (socket) => ({
      socketId: socket.id,
      ns,
      userId: socket.data.claims.sub,
      agencyId: socket.data.claims.agencyId,
    }),
    start(socket) {
      keyBudgets(socket);
      socket.onAny(onAny);
      deps.metrics.socketsConnected.inc(labels);
      watchExpiry(socket);
      socket.on('auth', onAuth);
      socket.on('disconnect', onEnd);
    },
  };
}
