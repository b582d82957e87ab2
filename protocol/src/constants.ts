/** Socket.io namespaces served by the hub. */
export const NAMESPACES = { track: '/track', live: '/live' } as const;

/** Timing defaults shared by hub and tracker (all in milliseconds). */
export const TIMING = {
  heartbeatIntervalMs: 15_000,
  heartbeatIntervalMinMs: 5_000,
  heartbeatIntervalMaxMs: 60_000,
  idleTimeoutMs: 60_000,
  idleTimeoutMinMs: 5_000,
  idleTimeoutMaxMs: 3_600_000,
  /** Slack added to observed wall time before engaged time is clamped (network jitter, timers). */
  engagedToleranceMs: 2_000,
  /** Heartbeats are written at most this often, in one bulkWrite. */
  flushIntervalMs: 1_000,
  /**
   * Heartbeat progress reaches dashboards gathered, at most this late (the `/live` `upserts`
   * event): at 15,000 tabs, one packet per heartbeat was 1,000 socket writes a second per
   * dashboard. A quarter of a second on an engaged-time counter is not something a person sees.
   */
  liveProgressGatherMs: 250,
  /** A page view with no evidence for this long is closed by the sweeper. */
  staleAfterMs: 120_000,
  /**
   * How far back the hub credits time it did not witness: a tracker that was offline (or whose
   * page loaded during an outage) replays its outbox with `ageMs`, and keeps up to this much time
   * from before the hub first heard from the tab. Evidence older than this is placed at
   * now − replayWindowMs. Ten minutes covers ordinary outages and deploys; a full outbox could
   * hold more (200 events × 15 s = 50 min), but none of it can be verified, and every minute of
   * window is a minute a forged tab could invent (see README, How it counts).
   */
  replayWindowMs: 10 * 60_000,
  tokenLifetimeSec: 3_600,
  /** Clients renew tokens this long before they expire. */
  tokenRenewBeforeMs: 5 * 60_000,
} as const;

/** Size limits enforced at every edge. */
export const LIMITS = {
  idLength: 128,
  urlLength: 2_048,
  pathLength: 1_024,
  titleLength: 512,
  nameLength: 200,
  /** Events per /collect request and per outbox resend. */
  batchSize: 50,
  /** Tracker outbox capacity (events). */
  outboxSize: 200,
  collectBodyBytes: 64 * 1024,
  pageSizeMax: 500,
  pageSizeDefault: 100,
  feedSize: 50,
} as const;

/** A token bucket: `perSecond` sustained, up to `burst` at once. */
export interface RateBudget {
  perSecond: number;
  burst: number;
}

/**
 * Rate budgets, each a token bucket per key, shared by every socket and instance (in Redis when
 * the hub has one). Refusals answer `rate_limited` with `retryAfterMs` (HTTP 429 + Retry-After).
 */
export const RATE_BUDGETS = {
  /**
   * Tracking events of one user (agency + user), over all their sockets and `/collect`. The
   * burst holds two full outboxes, so a tab replaying its outbox after an outage (while another
   * tab of the same user is busy) is not refused; an honest tab sends about one event in 15 s.
   */
  events: { perSecond: 20, burst: 2 * LIMITS.outboxSize },
  /** `auth` (token renewal) events of one user, on `/track` and `/live`. Tabs renew hourly. */
  renew: { perSecond: 0.5, burst: 20 },
  /** `sync` (presence snapshot) requests of one user on `/live`: one per dashboard reconnect. */
  sync: { perSecond: 1, burst: 20 },
  /** Requests to `/api/v1/auth/*` (sign-in, SSO exchange, refresh) per client IP. */
  signIn: { perSecond: 5, burst: 60 },
  /** REST requests per hub token. */
  rest: { perSecond: 20, burst: 120 },
  /**
   * Erasures by one agency user. Each waits for the rollup runs in progress, hurried, so an
   * unbounded stream of them would keep the rollup job working flat out for every tenant; a
   * privacy request erases a few users, not hundreds a minute.
   */
  erase: { perSecond: 0.2, burst: 10 },
} as const satisfies Record<string, RateBudget>;

export type BudgetName = keyof typeof RATE_BUDGETS;

/**
 * A socket refused this many times in a row is disconnected (`bye` rate_limited): refusing
 * still costs decoding and an ack, and an honest client backs off long before (the tracker has
 * one event in flight; the dashboard sends `sync` once per reconnect).
 */
export const REFUSALS_BEFORE_DISCONNECT = 50;

/** Event types a tracker sends. */
export const TRACK_EVENT_TYPES = ['pageview', 'heartbeat', 'leave'] as const;

/** Engagement states a tab can be in. */
export const PRESENCE_STATES = ['active', 'idle', 'hidden'] as const;

/** Why a page view ended. */
export const END_REASONS = ['leave', 'navigate', 'disconnect', 'timeout', 'shutdown'] as const;

export const DEVICE_CLASSES = ['desktop', 'mobile', 'tablet', 'bot', 'unknown'] as const;

/** JWT constants for hub tokens. */
export const HUB_TOKEN = { issuer: 'activity-hub', audience: 'activity-hub', type: 'hub+jwt' } as const;
