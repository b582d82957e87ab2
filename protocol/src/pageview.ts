import { z } from 'zod';
import { END_REASONS } from './constants.ts';

/** An instant in a reply: ISO 8601 with an offset. */
export const instantOut = z.iso.datetime({ offset: true });

/**
 * A page view, declared once for every layer: the API item, the CSV export, the hub's domain
 * record and the stored document all derive from it. Its key order is the CSV column order.
 * Instants (`z.iso.datetime`) are ISO strings here, epoch ms in the domain and Dates in storage.
 */
export const pageviewSchema = z.object({
  id: z.string(),
  startedAt: instantOut,
  /** Null while the page view is open. */
  endedAt: instantOut.nullable(),
  userId: z.string(),
  userName: z.string(),
  locationId: z.string().nullable(),
  path: z.string(),
  title: z.string(),
  url: z.string(),
  referrer: z.string(),
  engagedMs: z.number().int().min(0),
  endReason: z.enum(END_REASONS).nullable(),
  /** The tracker's tab id. */
  sessionId: z.string(),
  agencyId: z.string(),
  /** Latest evidence from the tab, hub clock. */
  lastSeenAt: instantOut,
});
export type Pageview = z.infer<typeof pageviewSchema>;

/** One stored page view, as `/pageviews` and session detail return it: the user's name is left out. */
export const pageviewItemSchema = pageviewSchema.omit({ userName: true });
export type PageviewItem = z.infer<typeof pageviewItemSchema>;

/**
 * The CSV export's columns: the page view's keys in order, less the tenant (one per export) and
 * the last evidence. Every cell is written the same way (see the hub's csv-export.ts).
 */
export const pageviewCsvSchema = pageviewSchema.omit({ agencyId: true, lastSeenAt: true });
export type PageviewCsvRow = z.infer<typeof pageviewCsvSchema>;
export const PAGEVIEW_CSV_COLUMNS = pageviewCsvSchema.keyof().options;

type Shape = typeof pageviewSchema.shape;
type IsInstant<S> = S extends z.ZodISODateTime ? true : S extends z.ZodNullable<infer I> ? IsInstant<I> : false;
/** The page view's instants: the keys whose schema is `instantOut` (or nullable). */
export type PageviewTimeKey = { [K in keyof Shape]: IsInstant<Shape[K]> extends true ? K : never }[keyof Shape];

const isInstant = (s: z.ZodType): boolean =>
  s instanceof z.ZodISODateTime || (s instanceof z.ZodNullable && isInstant(s.unwrap() as z.ZodType));
const isTimeKey = (k: string): k is PageviewTimeKey => isInstant(pageviewSchema.shape[k as keyof Shape]);

/** Every key of a page view, in order, and which of them are instants. */
export const PAGEVIEW_KEYS = pageviewSchema.keyof().options;
export const PAGEVIEW_TIME_KEYS: readonly PageviewTimeKey[] = PAGEVIEW_KEYS.filter(isTimeKey);

/** A page view whose instants are `T` (a nullable instant stays nullable). */
export type PageviewWithTimes<T> = {
  [K in keyof Pageview]: K extends PageviewTimeKey ? T | Extract<Pageview[K], null> : Pageview[K];
};

/** Page views through a page: a page of `/pageviews`. */
export const pageviewPageSchema = z.object({
  items: z.array(pageviewItemSchema),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null at the end'),
});
/** A page of any items: `nextCursor` as in `pageviewPageSchema`. */
export type Page<T> = Omit<z.infer<typeof pageviewPageSchema>, 'items'> & { items: T[] };
