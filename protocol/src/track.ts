import { z } from 'zod';
import { LIMITS, PRESENCE_STATES } from './constants.ts';

const uuid = z.uuid();
/** Milliseconds of engaged time in one event; the hub clamps further to observed wall time. */
const engagedMs = z.int().min(0).max(86_400_000);

const base = {
  /** Client-made UUID; the hub stores each id once per tenant. */
  id: uuid,
  /** Per-tab sequence number, increasing by one per event. */
  seq: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** The tab visit (session) this event belongs to. */
  tabId: uuid,
  /**
   * How long ago the event happened, by the tracker's reckoning. The hub turns it into a
   * time on its own clock (now − age, bounded), so a late delivery keeps its place in time.
   */
  ageMs: z
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .optional(),
};

/** A page view starts. Its `id` is also the page view's id. */
export const pageviewEventSchema = z.strictObject({
  type: z.literal('pageview'),
  ...base,
  url: z.string().min(1).max(LIMITS.urlLength),
  path: z.string().min(1).max(LIMITS.pathLength),
  title: z.string().max(LIMITS.titleLength).default(''),
  referrer: z.string().max(LIMITS.urlLength).default(''),
});

/** Engaged time since the previous heartbeat or flush of the same page view. */
export const heartbeatEventSchema = z.strictObject({
  type: z.literal('heartbeat'),
  ...base,
  pageviewId: uuid,
  engagedMs,
  state: z.enum(PRESENCE_STATES),
});

/** The page view ends (route change or unload), with its last engaged time. */
export const leaveEventSchema = z.strictObject({
  type: z.literal('leave'),
  ...base,
  pageviewId: uuid,
  engagedMs,
  reason: z.enum(['navigate', 'unload']),
});

/** Every event the tracker sends, discriminated by `type`. */
export const trackEventSchema = z.discriminatedUnion('type', [
  pageviewEventSchema,
  heartbeatEventSchema,
  leaveEventSchema,
]);

export type PageviewEvent = z.infer<typeof pageviewEventSchema>;
export type HeartbeatEvent = z.infer<typeof heartbeatEventSchema>;
export type LeaveEvent = z.infer<typeof leaveEventSchema>;
export type TrackEvent = z.infer<typeof trackEventSchema>;
/** What a tracker may send before defaults are applied. */
export type TrackEventInput = z.input<typeof trackEventSchema>;

/**
 * Body of `POST /api/v1/collect`, the unload fallback. It travels as text/plain, so the token
 * rides in the body (never in the URL) and the request needs no CORS preflight.
 */
export const collectBodySchema = z.strictObject({
  token: z.string().min(1).max(8_192),
  events: z.array(z.unknown()).min(1).max(LIMITS.batchSize),
});
export type CollectBody = z.infer<typeof collectBodySchema>;

/** Per-event result of `/collect`: `code` names why an event was refused. */
export const collectResultSchema = z.object({
  results: z.array(z.object({ id: z.string().nullable(), ok: z.boolean(), code: z.string().optional() })),
});
export type CollectResult = z.infer<typeof collectResultSchema>;

/** Settings the hub sends to a tracker right after it connects. */
export interface TrackerSettings {
  heartbeatIntervalMs: number;
  idleTimeoutMs: number;
  /** Seconds left on the token the socket authenticated with. */
  tokenExpiresAt: number;
}
