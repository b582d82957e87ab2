import type { Ack, Goodbye } from '@activity-hub/protocol';
import { AppError, toErrorBody } from '../domain/app-error.ts';
import type { Claims } from '../domain/identity.ts';
import { ExpiryWheel } from './expiry-wheel.ts';
import type { HubSocket } from './socket-types.ts';

/** Every socket's token expiry, on one shared timer (see expiry-wheel.ts). */
const expiries = new ExpiryWheel<HubSocket>((socket) => {
  const bye: Goodbye = { code: 'token_expired', message: 'The token expired; sign in again', reconnect: false };
  socket.emit('bye', bye);
  socket.disconnect(true);
});

/** Disconnects the socket, with a reason, when its token expires without renewal (within a second). */
export function watchExpiry(socket: HubSocket): void {
  expiries.add(socket, socket.data.claims.exp * 1000);
}

export function stopWatching(socket: HubSocket): void {
  expiries.remove(socket);
}

/**
 * The `auth` event handler, shared by every socket (socket.io calls it with `this` bound to the
 * socket): a renewed token for the same identity replaces the old one without a reconnect. A
 * token for someone else is refused: rooms were joined from the first identity.
 */
export function renewHandler(verify: (token: string) => Promise<Claims>) {
  return async function (this: HubSocket, token: unknown, ack: unknown): Promise<void> {
    const reply = typeof ack === 'function' ? (ack as (r: Ack<{ expiresAt: number }>) => void) : () => {};
    try {
      if (typeof token !== 'string' || token.length === 0 || token.length > 8_192) {
        throw new AppError('token_missing', 'Send the renewed token as a string');
      }
      const next = await verify(token);
      const cur = this.data.claims;
      if (
        next.sub !== cur.sub ||
        next.agencyId !== cur.agencyId ||
        next.role !== cur.role ||
        next.locationId !== cur.locationId
      ) {
        throw new AppError('forbidden', 'A renewed token must carry the same identity');
      }
      this.data.claims = next;
      watchExpiry(this);
      reply({ ok: true, data: { expiresAt: next.exp * 1000 } });
    } catch (err) {
      reply({ ok: false, error: toErrorBody(err) });
    }
  };
}
