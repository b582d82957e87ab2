import { z } from 'zod';
import { LIMITS } from './constants.ts';
import { instantOut } from './pageview.ts';

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

const count = z.number().int().min(0);

export const totalsSchema = z.object({
  pageviews: count,
  engagedMs: count,
  users: count.describe('distinct users'),
});
export type Totals = z.infer<typeof totalsSchema>;

export const bucketSchema = totalsSchema.extend({ start: instantOut, end: instantOut });
export type Bucket = z.infer<typeof bucketSchema>;

/** `GET /api/v1/summary`. */
export const summarySchema = z.object({
  from: instantOut.describe('start of the first calendar bucket'),
  to: instantOut.describe('end of the last calendar bucket'),
  granularity: z.enum(GRANULARITIES),
  tz: z.string(),
  buckets: z.array(bucketSchema),
  totals: totalsSchema,
  previous: totalsSchema
    .extend({ from: instantOut, to: instantOut })
    .describe('the same number of buckets just before'),
});
export type Summary = z.infer<typeof summarySchema>;

export const topPageSchema = z.object({ path: z.string(), ...totalsSchema.shape, avgEngagedMs: count });
export type TopPage = z.infer<typeof topPageSchema>;
/** `GET /api/v1/top-pages`. */
export const topPagesSchema = z.object({ items: z.array(topPageSchema) });

export const userStatsSchema = z.object({
  userId: z.string(),
  name: z.string(),
  pageviews: count,
  engagedMs: count,
  lastSeen: instantOut,
  topLocationId: z.string().nullable(),
});
export type UserStats = z.infer<typeof userStatsSchema>;
/** `GET /api/v1/users`. */
export const usersStatsSchema = z.object({ items: z.array(userStatsSchema) });

/** `GET /api/v1/directory`: the locations and users in the caller's scope, for filter pickers. */
export const directorySchema = z.object({
  locations: z.array(z.object({ locationId: z.string(), users: count })),
  users: z.array(z.object({ userId: z.string(), name: z.string(), locationId: z.string().nullable() })),
});
export type Directory = z.infer<typeof directorySchema>;
