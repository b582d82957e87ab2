import { tz } from '@date-fns/tz';
import { addDays, addMonths, addWeeks, startOfDay, startOfMonth, startOfWeek, type Day } from 'date-fns';
import { WEEKDAYS, type Granularity } from '@activity-hub/protocol';
import { AppError } from './app-error.ts';

/** How a range is cut into calendar buckets. */
export interface CalendarSpec {
  granularity: Granularity;
  /** IANA time zone the calendar is read in. */
  tz: string;
  weekStart: (typeof WEEKDAYS)[number];
}

/**
 * Most buckets one summary may have: a bit over a year of days, two years of weeks, five years
 * of months. Beyond that a chart is unreadable and the answer needlessly expensive.
 */
export const MAX_BUCKETS: Record<Granularity, number> = { day: 400, week: 120, month: 60 };

/** Boundaries (epoch ms) of consecutive calendar buckets: bucket i is [b[i], b[i+1]). */
export interface CalendarRange {
  boundaries: number[];
  /** The same number of buckets just before `boundaries[0]`; its last entry is `boundaries[0]`. */
  previous: number[];
}

/** date-fns counts week days from Sunday = 0. */
const weekStartsOn = (w: CalendarSpec['weekStart']): Day => ((WEEKDAYS.indexOf(w) + 1) % 7) as Day;

/**
 * The calendar arithmetic, done by date-fns in the zone (TZDate), never with fixed offsets:
 * a DST day is 23 or 25 hours and a month 28 to 31 days, and only the zone rules know which.
 */
function calendar(spec: CalendarSpec) {
  const ctx = { in: tz(spec.tz) };
  switch (spec.granularity) {
    case 'day':
      return { start: (d: Date) => startOfDay(d, ctx), add: (d: Date, n: number) => addDays(d, n, ctx) };
    case 'week': {
      const opts = { ...ctx, weekStartsOn: weekStartsOn(spec.weekStart) };
      return { start: (d: Date) => startOfWeek(d, opts), add: (d: Date, n: number) => addWeeks(d, n, ctx) };
    }
    case 'month':
      return { start: (d: Date) => startOfMonth(d, ctx), add: (d: Date, n: number) => addMonths(d, n, ctx) };
  }
}

/**
 * Cuts [from, to) into whole calendar buckets of the zone, widening both ends to bucket edges,
 * plus as many buckets just before for the comparison period. Every boundary is computed from
 * the first one (start + i units) so month ends and DST changes never accumulate drift.
 * Throws `validation_failed` when the range needs more than MAX_BUCKETS buckets.
 */
export function calendarRange(from: Date, to: Date, spec: CalendarSpec): CalendarRange {
  if (!(from.getTime() < to.getTime())) throw new AppError('validation_failed', '`from` must be before `to`');
  const cal = calendar(spec);
  const first = cal.start(from);
  const max = MAX_BUCKETS[spec.granularity];
  const boundaries = [first.getTime()];
  for (let i = 1; (boundaries[boundaries.length - 1] as number) < to.getTime(); i++) {
    if (i > max) {
      throw new AppError(
        'validation_failed',
        `Too many buckets: a ${spec.granularity} summary covers at most ${max} ${spec.granularity}s; narrow the range or use a coarser granularity`,
      );
    }
    boundaries.push(cal.add(first, i).getTime());
  }
  const n = boundaries.length - 1;
  const previous: number[] = [];
  for (let i = -n; i <= 0; i++) previous.push(i === 0 ? first.getTime() : cal.add(first, i).getTime());
  return { boundaries, previous };
}
