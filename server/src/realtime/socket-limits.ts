import type { Socket } from 'socket.io';
import type { Ack } from '@activity-hub/protocol';
import { toErrorBody } from '../domain/app-error.ts';
import { rateLimited, userKey, type BudgetName, type RateLimiter } from '../domain/rate-limiter.ts';
import type { SocketData } from './handshake.ts';

/** `socket.data` once the connection handler ran: the user's budget key, computed once. */
export interface LimitedSocketData extends SocketData {
  limitKey: string;
}

/**
 * Stores the key of the socket's user budgets in `socket.data` (one string per socket), so no
 * event has to build it. A renewed token carries the same identity, so the key never changes.
 */
export function keyBudgets(socket: Socket): string {
  const data = socket.data as LimitedSocketData;
  data.limitKey = userKey(data.claims.agencyId, data.claims.sub);
  return data.limitKey;
}

/**
 * Charges one inbound event to the socket user's `budget`. Refused: answers the ack (if any)
 * with `rate_limited` and its `retryAfterMs`, and returns false, before anything is parsed.
 */
export function admit(limiter: RateLimiter, budget: BudgetName, socket: Socket, ack: unknown, what: string): boolean {
  const wait = limiter.take(budget, (socket.data as LimitedSocketData).limitKey);
  if (wait === 0) return true;
  if (typeof ack === 'function') (ack as (r: Ack) => void)({ ok: false, error: toErrorBody(rateLimited(wait, what)) });
  return false;
}

/**
 * An `onAny` listener for both namespaces: an event with no handler of ours still costs the
 * hub its decoding, so it is charged to the user's event budget too. One function shared by
 * every socket (socket.io calls it with the socket as `this`).
 */
export function chargeUnknownEvents(limiter: RateLimiter, known: ReadonlySet<string>) {
  return function (this: Socket, event: string): void {
    if (!known.has(event)) limiter.take('events', (this.data as LimitedSocketData).limitKey);
  };
}
