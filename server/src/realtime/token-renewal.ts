import type { Socket } from 'socket.io';
import type { Ack, Goodbye } from '@activity-hub/protocol';
import { AppError, toErrorBody } from '../domain/app-error.ts';
import type { Claims } from '../domain/identity.ts';
import type { SocketData } from './handshake.ts';

const timers = new WeakMap<Socket, NodeJS.Timeout>();

/** Disconnects the socket, with a reason, when its token expires without renewal. */
export function watchExpiry(socket: Socket, now: () => number = Date.now): void {
  clearTimeout(timers.get(socket));
  const { claims } = socket.data as SocketData;
  const ms = Math.max(0, claims.exp * 1000 - now());
  // setTimeout caps at ~24.8 days; hub tokens live far shorter.
  const t = setTimeout(
    () => {
      const bye: Goodbye = { code: 'token_expired', message: 'The token expired; sign in again', reconnect: false };
      socket.emit('bye', bye);
      socket.disconnect(true);
    },
    Math.min(ms, 2 ** 31 - 1),
  );
  t.unref();
  timers.set(socket, t);
}

export function stopWatching(socket: Socket): void {
  clearTimeout(timers.get(socket));
  timers.delete(socket);
}

/**
 * Handles the `auth` event: a renewed token for the same identity replaces the old one without
 * a reconnect. A token for someone else is refused: rooms were joined from the first identity.
 */
export function renewHandler(socket: Socket, verify: (token: string) => Promise<Claims>) {
  return async (token: unknown, ack: unknown): Promise<void> => {
    const reply = typeof ack === 'function' ? (ack as (r: Ack<{ expiresAt: number }>) => void) : () => {};
    try {
      if (typeof token !== 'string' || token.length === 0 || token.length > 8_192) {
        throw new AppError('token_missing', 'Send the renewed token as a string');
      }
      const next = await verify(token);
      const cur = (socket.data as SocketData).claims;
      if (
        next.sub !== cur.sub ||
        next.agencyId !== cur.agencyId ||
        next.role !== cur.role ||
        next.locationId !== cur.locationId
      ) {
        throw new AppError('forbidden', 'A renewed token must carry the same identity');
      }
      (socket.data as SocketData).claims = next;
      watchExpiry(socket);
      reply({ ok: true, data: { expiresAt: next.exp * 1000 } });
    } catch (err) {
      reply({ ok: false, error: toErrorBody(err) });
    }
  };
}
