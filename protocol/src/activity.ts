import { z } from 'zod';
import { DEVICE_CLASSES, LIMITS } from './constants.ts';
import { filterSchema, timeZoneSchema, WEEKDAYS } from './api.ts';
import { instantOut, pageviewItemSchema } from './pageview.ts';

/**
 * The activity log (issue 13): sessions, one session's page views, the weekday × hour heatmap
 * and erasure. Query schemas validate at the edge; reply schemas declare what the hub answers.
 */

/** `GET /api/v1/sessions`: sessions that started in [from, to), newest first. */
export const sessionsQuerySchema = filterSchema.extend({
  /** Accepted for symmetry with History; `from` and `to` are instants. */
  tz: timeZoneSchema.default('UTC'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});

/** An opaque session id, as `SessionItem.id`. */
export const sessionIdSchema = z.string().min(1).max(1_200);
export const sessionParamsSchema = z.object({ id: sessionIdSchema });

/** `GET /api/v1/heatmap`: filters as `/summary`, and the week's first day for the cell order. */
export const heatmapQuerySchema = filterSchema.extend({
  from: filterSchema.shape.from.unwrap(),
  to: filterSchema.shape.to.unwrap(),
  tz: timeZoneSchema.default('UTC'),
  weekStart: z.enum(WEEKDAYS).default('monday'),
});

/** `DELETE /api/v1/users/:userId/activity`. */
export const erasureParamsSchema = z.object({ userId: z.string().trim().min(1).max(LIMITS.idLength) });

/** One tab visit. */
export const sessionItemSchema = z.object({
  /** Opaque; use it with `/sessions/:id`. Unique within the agency. */
  id: sessionIdSchema,
  /** The tracker's tab id: page views carry it as `sessionId`. */
  tabId: z.string(),
  userId: z.string(),
  name: z.string(),
  locationId: z.string().nullable(),
  device: z.enum(DEVICE_CLASSES),
  startedAt: instantOut,
  /** Last sign of life; for an open session, its duration so far ends here. */
  lastSeenAt: instantOut,
  /** Null while the session is open. */
  endedAt: instantOut.nullable(),
  /** Sum of its page views' engaged time. */
  engagedMs: z.number().int().min(0),
  /** Number of page views. */
  pageviews: z.number().int().min(0),
  /** Path of the first and last page view; null when none is stored (erased or expired). */
  entryPath: z.string().nullable(),
  exitPath: z.string().nullable(),
});

export const sessionsPageSchema = z.object({
  items: z.array(sessionItemSchema),
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: z.string().nullable(),
});

export const sessionDetailSchema = z.object({
  session: sessionItemSchema,
  /** The session's page views, oldest first. */
  pageviews: z.array(pageviewItemSchema),
});

export const heatmapCellSchema = z.object({
  weekday: z.enum(WEEKDAYS),
  /** 0–23, local hour in `tz`. */
  hour: z.number().int().min(0).max(23),
  pageviews: z.number().int().min(0),
  engagedMs: z.number().int().min(0),
});

export const heatmapSchema = z.object({
  from: instantOut,
  to: instantOut,
  tz: z.string(),
  weekStart: z.enum(WEEKDAYS),
  /** 168 cells, ordered by weekday from `weekStart`, then hour. */
  cells: z.array(heatmapCellSchema).length(168),
  /** Sums of the cells; equal to `/summary`'s totals for the same filters and range. */
  totals: z.object({ pageviews: z.number().int().min(0), engagedMs: z.number().int().min(0) }),
});

export const erasureSchema = z.object({
  deleted: z.object({ pageviews: z.number().int().min(0), sessions: z.number().int().min(0) }),
});

export type SessionsQuery = z.infer<typeof sessionsQuerySchema>;
export type HeatmapQuery = z.infer<typeof heatmapQuerySchema>;
export type SessionItem = z.infer<typeof sessionItemSchema>;
export type SessionsPage = z.infer<typeof sessionsPageSchema>;
export type SessionDetail = z.infer<typeof sessionDetailSchema>;
export type HeatmapCell = z.infer<typeof heatmapCellSchema>;
export type Heatmap = z.infer<typeof heatmapSchema>;
export type Erasure = z.infer<typeof erasureSchema>;
