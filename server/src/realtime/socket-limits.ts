import { REFUSALS_BEFORE_DISCONNECT, type Ack, type Goodbye } from '@activity-hub/protocol';
import { userKey, type BudgetName, type RateLimiter } from '../domain/rate-limiter.ts';
import type { HubSocket } from './socket-types.ts';

const TOO_MANY: Goodbye = {
  code: 'rate_limited',
  message: 'Too many events refused in a row; reconnect later',
  reconnect: true,
};

/**
 * Stores the key of the socket's user budgets in `socket.data` (one string per socket), so no
 * event has to build it. A renewed token carries the same identity, so the key never changes.
 */
export function keyBudgets(socket: HubSocket): string {
  const data = socket.data;
  data.limitKey = userKey(data.claims.agencyId, data.claims.sub);
  data.refusals = 0;
  return data.limitKey;
}

/**
 * Charges one inbound event to the socket user's `budget`. Refused: answers the ack (if any)
 * with `rate_limited` and its `retryAfterMs`, and returns false, before anything is parsed.
 * The refusal builds no AppError (no stack trace); a socket that keeps sending after
 * `REFUSALS_BEFORE_DISCONNECT` refusals in a row is disconnected.
 */
export function admit(
  limiter: RateLimiter,
  budget: BudgetName,
  socket: HubSocket,
  ack: unknown,
  what: string,
): boolean {
  const data = socket.data;
  const wait = limiter.take(budget, data.limitKey);
  if (wait === 0) {
    if (data.refusals !== 0) data.refusals = 0;
    return true;
  }
  if (++data.refusals >= REFUSALS_BEFORE_DISCONNECT) {
    if (socket.connected) {
      socket.emit('bye', TOO_MANY);
      socket.disconnect(true);
    }
    return false;
  }
  if (typeof ack === 'function')
    (ack as (r: Ack) => void)({
      ok: false,
      error: { code: 'rate_limited', message: `Too many ${what}; slow down`, retryAfterMs: Math.ceil(wait) },
    });
  return false;
}

/**
 * An `onAny` listener for both namespaces: an event with no handler of ours still costs the
 * hub its decoding, so it is charged to the user's event budget too. One function shared by
 * every socket (socket.io calls it with the socket as `this`).
 */
export function chargeUnknownEvents(limiter: RateLimiter, known: ReadonlySet<string>) {
  return function (this: HubSocket, event: string): void {
    if (!known.has(event)) limiter.take('events', this.data.limitKey);
  };
}
