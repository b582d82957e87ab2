import { z } from 'zod';
import { END_REASONS, LIMITS } from './constants.ts';

const id = z.string().trim().min(1).max(LIMITS.idLength);
/** An instant: ISO 8601 or epoch milliseconds, as a query-string value. */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date(), z.coerce.number().int().min(0).max(8.64e15)])
  .transform((v) => (typeof v === 'number' ? new Date(v) : new Date(v)));

const isValidZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
export const timeZoneSchema = z.string().max(64).refine(isValidZone, 'an IANA time zone, such as Europe/Berlin');

/** Filters every history endpoint accepts. Filters narrow the caller's scope; they never widen it. */
export const filterSchema = z.object({
  from: instant.optional(),
  to: instant.optional(),
  userId: id.optional(),
  locationId: id.optional(),
  path: z.string().max(LIMITS.pathLength).optional(),
});

export const pageviewsQuerySchema = filterSchema.extend({
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(200).optional(),
});

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export const summaryQuerySchema = filterSchema.extend({
  from: instant,
  to: instant,
  granularity: z.enum(GRANULARITIES).default('day'),
  tz: timeZoneSchema.default('UTC'),
  weekStart: z.enum(WEEKDAYS).default('monday'),
});

export const topPagesQuerySchema = filterSchema.extend({
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(20),
});

export const usersQuerySchema = filterSchema.extend({
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeMax),
});

/** One stored page view, as the API returns it. Times are ISO strings. */
export interface PageviewItem {
  id: string;
  sessionId: string;
  userId: string;
  agencyId: string;
  locationId: string | null;
  url: string;
  path: string;
  title: string;
  referrer: string;
  startedAt: string;
  lastSeenAt: string;
  endedAt: string | null;
  engagedMs: number;
  endReason: (typeof END_REASONS)[number] | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Totals {
  pageviews: number;
  engagedMs: number;
  users: number;
}

export interface Bucket extends Totals {
  start: string;
  end: string;
}

export interface Summary {
  from: string;
  to: string;
  granularity: Granularity;
  tz: string;
  buckets: Bucket[];
  totals: Totals;
  previous: Totals & { from: string; to: string };
}

export interface TopPage {
  path: string;
  pageviews: number;
  engagedMs: number;
  users: number;
  avgEngagedMs: number;
}

export interface UserStats {
  userId: string;
  name: string;
  pageviews: number;
  engagedMs: number;
  lastSeen: string;
  topLocationId: string | null;
}

/** `GET /api/v1/directory`: the locations and users in the caller's scope, for filter pickers. */
export interface Directory {
  locations: { locationId: string; users: number }[];
  users: { userId: string; name: string; locationId: string | null }[];
}
