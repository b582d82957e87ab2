import { io, type Socket } from 'socket.io-client';
import { NAMESPACES, TIMING } from '../../protocol/src/constants.ts';
import { isAuthFailed, type ErrorBody } from '../../protocol/src/errors.ts';
import type { Goodbye, TrackClientToServerEvents, TrackServerToClientEvents } from '../../protocol/src/events.ts';
import type { TrackerSettings } from '../../protocol/src/track.ts';
import { collectBody, sendBeacon } from './beacon.ts';
import { dropped, guard, later, log } from './guard.ts';
import { withAge, type Outbox, type OutboxItem } from './outbox.ts';
import { authRequest, highLevelSignIn, identityOf, jwtExpiry } from './token.ts';

type TrackSocket = Socket<TrackServerToClientEvents, TrackClientToServerEvents>;
type Timer = ReturnType<typeof setTimeout> | undefined;

const ACK_MS = 10_000;
/**
 * What an event's refusal means, by code (protocol/src/errors.ts).
 *
 * Final: the event leaves the queue unsent (and `activityhub:dropped` says so), since the same
 * event would be refused again however often it is sent:
 * | code                                         | why                                        |
 * | -------------------------------------------- | ------------------------------------------ |
 * | bad_request, validation_failed, body_invalid | the event itself is malformed              |
 * | payload_too_large, unsupported_media_type    | the event itself is too large or unreadable |
 * | forbidden                                    | its page view belongs to another user      |
 * | not_found                                    | its page view is unknown (it was refused itself, or is gone) |
 *
 * Every other code is retried, for as long as the page lives, with capped, jittered backoff and
 * never before the hub's `retryAfterMs`: rate_limited, unavailable, internal, over_capacity (the
 * hub is busy or its database is down), the token and origin codes (the connection's fault,
 * not the event's: a renewal or `identify()` fixes it), and any code this tracker does not know.
 */
const FINAL_CODE =
  /^(bad_request|validation_failed|body_invalid|payload_too_large|unsupported_media_type|forbidden|not_found)$/;

export interface LinkOptions {
  endpoints: string[];
  appId?: string;
  outbox: Outbox;
  /** Longest wait between retries, ms. */
  retryMaxMs: number;
  onSettings(settings: TrackerSettings): void;
  /** The token now speaks for another user than before (the previous user's queue is dropped). */
  onSwitch(): void;
}

/** The tracker's connection to the hub: socket, token renewal, ordered delivery, unload beacon. */
export interface Link {
  /**
   * Uses a new token: on the open socket via `auth`, otherwise at the next connect. A token of
   * another user drops the queued events of the previous one (they must never be credited to
   * the new user) and reconnects.
   */
  setToken(token: string, expiresAt?: number): void;
  /** Connects unless connected or stopped. */
  connect(): void;
  /** Renews the token (refresh, or HighLevel SSO with an app id); false when that failed. */
  renew(): Promise<boolean>;
  /** Sends the oldest unacked event, if the socket is up and nothing is in flight. */
  pump(): void;
  /** Sends the unacked events with `sendBeacon`; they stay queued until acked. */
  beacon(): void;
  stop(): void;
  readonly connected: boolean;
}

/**
 * One socket to `/track`. Reconnecting is done here rather than by socket.io, so that each
 * attempt can go to the next endpoint and auth failures can renew the token first.
 */
export function createLink(o: LinkOptions): Link {
  let token: string | undefined;
  let socket: TrackSocket | undefined;
  let endpointIndex = 0;
  let failures = 0;
  // One renewal per auth failure: a second failure in a row stops the tracker.
  let renewed = false;
  let owner: string | undefined;
  let bye: Partial<Goodbye> = {};
  let stopped = false;
  let busy = false;
  let attempt = 0;
  let tries = 0;
  let reopenTimer: Timer;
  let renewTimer: Timer;
  let pumpTimer: Timer;
  // Beaconed once is enough (pagehide and visibilitychange often come together).
  const beaconed = new WeakSet<OutboxItem>();

  const endpoint = (): string => o.endpoints[endpointIndex % o.endpoints.length]!;
  // Jittered exponential backoff: 0.5–1 s, doubling until it reaches the cap (then 50–100% of
  // it); never sooner than the hub's hint (itself bounded at 10 minutes).
  const backoff = (n: number, hintMs?: number): number =>
    Math.max(Math.min(Number(hintMs) || 0, 600_000), Math.min(o.retryMaxMs, 1000 * 2 ** n) * (0.5 + Math.random() / 2));

  function close(): void {
    clearTimeout(reopenTimer);
    clearTimeout(pumpTimer);
    if (socket) socket.off().disconnect();
    socket = undefined;
    busy = false;
    attempt++;
  }

  function open(): void {
    close();
    if (stopped || !token) return;
    log('connecting to', endpoint());
    const s: TrackSocket = io(endpoint() + NAMESPACES.track, {
      transports: ['websocket', 'polling'],
      // Websocket first; long-polling when a websocket cannot be opened (proxies).
      tryAllTransports: true,
      reconnection: false,
      forceNew: true,
      // Read at every handshake, so a renewed token is used; never put in the URL.
      auth: (cb) => cb({ token }),
    });
    socket = s;
    s.on(
      'connect',
      guard(() => {
        log('connected');
        renewed = false;
        bye = {};
        pump();
      }),
    );
    s.on(
      'settings',
      guard((settings: TrackerSettings) => {
        o.onSettings(settings);
        schedule(settings.tokenExpiresAt);
      }),
    );
    s.on(
      'bye',
      guard((b: Goodbye) => (bye = b)),
    );
    // A refusal: by a namespace middleware (`next(err)`, its body in `data`); by engine.io's
    // `allowRequest` (the polling handshake answers 403, our error body being the `message` of
    // its JSON, read from the request in `context`); or by an HTTP server or proxy: a 503 (the
    // status is engine.io's `description`) is over capacity. Either way: back off, next endpoint.
    s.on(
      'connect_error',
      guard((err: Error & { data?: ErrorBody; description?: unknown; context?: { responseText?: string } }) => {
        let d: Partial<ErrorBody> = err.data || {};
        try {
          d = JSON.parse(JSON.parse(err.context!.responseText!).message) || d;
        } catch {
          // Not engine.io's refusal.
        }
        fail(err.description === 503 ? 'over_capacity' : d.code, d.retryAfterMs);
      }),
    );
    // Our own close() removes these listeners first, so this is always the hub or the network.
    s.on(
      'disconnect',
      guard(() => fail(bye.code, 0, bye.reconnect)),
    );
  }

  // After a refused or lost connection: renew and retry, retry elsewhere after a backoff, or stop.
  function fail(
    code?: string,
    hintMs?: number,
    reconnect = !code || /^(unavailable|internal|rate_limited|over_capacity|shutdown)$/.test(code),
  ): void {
    log('connection lost', code);
    if (isAuthFailed(code)) {
      if (renewed) return halt();
      renewed = true;
      void link.renew().then(guard((ok: boolean) => (ok ? open() : halt())));
      return;
    }
    if (!reconnect) return halt();
    endpointIndex++;
    clearTimeout(reopenTimer);
    reopenTimer = later(open, backoff(failures++, hintMs));
  }

  // Stops silently, keeping the queue; `identify()` with a new token starts again.
  function halt(): void {
    close();
    token = undefined;
    clearTimeout(renewTimer);
  }

  // Renews ahead of expiry (half-way for short-lived tokens, so renewals never spin).
  function schedule(
    expiresAt?: number,
    delay = expiresAt
      ? Math.max(expiresAt - Date.now() - TIMING.tokenRenewBeforeMs, (expiresAt - Date.now()) / 2, 1000)
      : 0,
  ): void {
    clearTimeout(renewTimer);
    if (!expiresAt) return;
    renewTimer = later(
      async () => {
        if (!(await link.renew()) && Date.now() < expiresAt) schedule(expiresAt, 60_000);
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  function pump(): void {
    const s = socket;
    const item = o.outbox.items[0];
    if (busy || !item || !s || !s.connected) return;
    busy = true;
    const n = ++attempt;
    clearTimeout(pumpTimer);
    o.outbox.sent = Math.max(o.outbox.sent, 1);
    s.timeout(ACK_MS).emit(
      'event',
      withAge(item, performance.now(), Date.now()),
      guard((err, res) => {
        if (n !== attempt) return;
        if (err || (!res.ok && !FINAL_CODE.test(res.error.code))) {
          // Lost ack, a busy hub or a database outage: the same event again later (its id makes
          // a repeat harmless), however long it takes. Nothing else is sent meanwhile.
          pumpTimer = later(
            () => {
              busy = false;
              pump();
            },
            backoff(tries++, res && !res.ok ? res.error.retryAfterMs : 0),
          );
          return;
        }
        busy = false;
        // Stored, or refused for good (it would never pass): either way it leaves the queue.
        if (!res.ok) dropped(res.error.code, [item.e]);
        // Reset here rather than on connect, so a hub that accepts and then drops us is backed off.
        failures = tries = 0;
        o.outbox.remove(item.e.id);
        pump();
      }),
    );
  }

  const link: Link = {
    get connected() {
      return !!socket && socket.connected;
    },
    setToken(t, expiresAt = jwtExpiry(t)) {
      const who = identityOf(t);
      const switched = who !== owner;
      owner = who;
      token = t;
      schedule(expiresAt);
      dropped(
        'identity',
        o.outbox.own(who).map((i) => i.e),
      );
      // A token for another identity is refused on a live socket: reconnect with it at once,
      // before anything of the new user is sent on the old socket.
      if (switched && socket) open();
      if (switched) o.onSwitch();
      else if (socket && socket.connected)
        socket.timeout(ACK_MS).emit(
          'auth',
          t,
          guard((err, res) => err || res.ok || open()),
        );
    },
    connect() {
      if (!socket) open();
    },
    async renew() {
      // Never rejects: its callers are timers and socket events.
      try {
        const url = endpoint() + '/api/v1/auth/';
        const reply =
          (token && (await authRequest(url + 'refresh', token).catch(log))) ||
          (o.appId && (await highLevelSignIn(endpoint(), o.appId).catch(log)));
        if (reply) link.setToken(reply.token, reply.expiresAt);
        return !!reply;
      } catch (e) {
        log(e);
        return false;
      }
    },
    pump,
    beacon() {
      const now = performance.now();
      const wall = Date.now();
      const items = o.outbox.items;
      // Already-beaconed items are a prefix of the queue; the batch is the next run after them.
      const start = items.findIndex((i) => !beaconed.has(i));
      const batch =
        token &&
        start >= 0 &&
        collectBody(
          token,
          items.slice(start).map((i) => withAge(i, now, wall)),
        );
      if (!batch) return;
      items.slice(start, start + batch.count).forEach((i) => beaconed.add(i));
      o.outbox.sent = Math.max(o.outbox.sent, start + batch.count);
      sendBeacon(endpoint() + '/api/v1/collect', batch.body);
    },
    stop() {
      stopped = true;
      close();
      clearTimeout(renewTimer);
    },
  };
  return link;
}
