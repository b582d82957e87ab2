// Report ranges, computed in the report's time zone rather than the browser's: an agency in
// New York looking at "yesterday" means New York's yesterday, whatever the viewer's laptop says.
import { TZDateMini, type TZDate } from '@date-fns/tz';
import { addDays, addMonths, startOfDay, startOfMonth } from 'date-fns';

export const RANGE_PRESETS = ['today', 'yesterday', 'last7', 'last30', 'thisMonth', 'lastMonth', 'custom'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export const RANGE_LABELS: Record<RangePreset, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  last7: 'Last 7 days',
  last30: 'Last 30 days',
  thisMonth: 'This month',
  lastMonth: 'Last month',
  custom: 'Custom range',
};

/** A half-open interval [from, to) of instants. */
export interface TimeRange {
  from: Date;
  to: Date;
}

/** Calendar dates ("2024-03-10") as a date input holds them; both ends are inclusive days. */
export interface CustomDates {
  from: string;
  to: string;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDateString(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

/** Midnight at the start of a calendar date in `tz`. */
function startOfDate(date: string, tz: string): TZDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new TZDateMini(y, m - 1, d, tz);
}

/**
 * The instants a preset covers, as of `now`. Days are whole calendar days in `tz`, so a range
 * that crosses a DST change is 23 or 25 hours longer or shorter, never shifted by an hour.
 * Current periods (today, last N days, this month) run to the end of today or the month;
 * the charts leave future buckets blank. `now` may be a Date or epoch ms.
 */
export function computeRange(preset: RangePreset, tz: string, now: Date | number, custom?: CustomDates): TimeRange {
  const today = startOfDay(new TZDateMini(+now, tz));
  const range = (from: TZDate, to: TZDate): TimeRange => ({
    from: new Date(from.getTime()),
    to: new Date(to.getTime()),
  });
  switch (preset) {
    case 'today':
      return range(today, addDays(today, 1));
    case 'yesterday':
      return range(addDays(today, -1), today);
    case 'last7':
      return range(addDays(today, -6), addDays(today, 1));
    case 'last30':
      return range(addDays(today, -29), addDays(today, 1));
    case 'thisMonth': {
      const month = startOfMonth(today);
      return range(month, addMonths(month, 1));
    }
    case 'lastMonth': {
      const month = startOfMonth(today);
      return range(addMonths(month, -1), month);
    }
    case 'custom': {
      if (!custom || !isDateString(custom.from) || !isDateString(custom.to))
        return range(addDays(today, -6), addDays(today, 1));
      // Tolerate a reversed pick rather than showing an error for it.
      const [a, b] = custom.from <= custom.to ? [custom.from, custom.to] : [custom.to, custom.from];
      return range(startOfDate(a, tz), addDays(startOfDate(b, tz), 1));
    }
  }
}

/** "yyyy-MM-dd" of an instant's calendar date in `tz` (TZDateMini getters read the zone's wall clock). */
export function toDateString(ms: number, tz: string): string {
  const d = new TZDateMini(ms, tz);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The inclusive calendar dates of a range in `tz`, to prefill the custom date inputs. */
export function rangeToDates(range: TimeRange, tz: string): CustomDates {
  // `to` is exclusive, so the last day shown is the one holding the instant just before it.
  return { from: toDateString(range.from.getTime(), tz), to: toDateString(range.to.getTime() - 1, tz) };
}

/** The browser's zone, falling back to UTC where Intl cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function isValidTimeZone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
