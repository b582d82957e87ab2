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
  /** Events per socket per second before rate limiting. */
  ratePerSecond: 20,
  /** Burst = outbox size, so a tab replaying its outbox after an outage is not refused. */
  rateBurst: 200,
  collectBodyBytes: 64 * 1024,
  pageSizeMax: 500,
  pageSizeDefault: 100,
  feedSize: 50,
} as const;

/** Event types a tracker sends. */
export const TRACK_EVENT_TYPES = ['pageview', 'heartbeat', 'leave'] as const;

/** Engagement states a tab can be in. */
export const PRESENCE_STATES = ['active', 'idle', 'hidden'] as const;

/** Why a page view ended. */
export const END_REASONS = ['leave', 'navigate', 'disconnect', 'timeout', 'shutdown'] as const;

export const DEVICE_CLASSES = ['desktop', 'mobile', 'tablet', 'bot', 'unknown'] as const;

/** JWT constants for hub tokens. */
export const HUB_TOKEN = { issuer: 'activity-hub', audience: 'activity-hub', type: 'hub+jwt' } as const;
