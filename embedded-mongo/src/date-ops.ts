/**
 * Time-zone-correct `$dateTrunc` and `$dateToString` for mingo.
 *
 * mingo 7 truncates sub-day units in UTC and computes the day boundary for
 * `$dateTrunc` with the wrong offset around DST changes, so results differ
 * from mongod as soon as a `timezone` is given (see date-ops tests). These
 * replacements do the arithmetic on wall-clock time (see time-zone.ts).
 */
import { evalExpr } from 'mingo/core';
import type { Options } from 'mingo/types';
import { fail } from './errors.ts';
import { formatOffset, fromLocalMs, isoWeek, localParts, offsetAt, parseTimezone, toLocalMs } from './time-zone.ts';

const REF_LOCAL = Date.UTC(2000, 0, 1);
const FIXED_UNITS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};
const MONTH_UNITS: Record<string, number> = { month: 1, quarter: 3, year: 12 };
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

type Args = Record<string, unknown>;

/** Accepts Date, ObjectId (its timestamp) or Timestamp like mongod does. */
function toDate(v: unknown, op: string): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  const tagged = v as { _bsontype?: string; getTimestamp?: () => Date; high?: number };
  if (tagged._bsontype === 'ObjectId' && tagged.getTimestamp) return tagged.getTimestamp();
  if (tagged._bsontype === 'Timestamp' && typeof tagged.high === 'number') return new Date(tagged.high * 1000);
  return fail(16006, `can't convert from BSON type ${typeof v} to Date in ${op}`);
}

const floorDiv = (a: number, b: number): number => Math.floor(a / b);

/** `$dateTrunc` with MongoDB's bin reference point 2000-01-01 (local time). */
export function $dateTrunc(obj: unknown, expr: unknown, options: Options): Date | null {
  const args = evalExpr(obj, expr, options) as Args;
  const date = toDate(args.date, '$dateTrunc');
  if (date === null || args.unit === null || args.unit === undefined) return null;
  const unit = String(args.unit);
  const binSize = args.binSize === undefined ? 1 : Number(args.binSize);
  if (!Number.isInteger(binSize) || binSize <= 0)
    fail(5439017, `$dateTrunc requires 'binSize' to be greater than 0, but got value ${binSize}`);
  const zone = parseTimezone(args.timezone);
  const local = toLocalMs(zone, date.getTime());
  let truncated: number;
  if (unit in MONTH_UNITS) {
    const p = localParts(local);
    const months = (p.year - 2000) * 12 + (p.month - 1);
    const bin = (MONTH_UNITS[unit] as number) * binSize;
    const start = floorDiv(months, bin) * bin;
    truncated = Date.UTC(2000 + floorDiv(start, 12), ((start % 12) + 12) % 12, 1);
  } else if (unit === 'week') {
    const sow = WEEKDAYS.indexOf(
      String(args.startOfWeek ?? 'sunday')
        .toLowerCase()
        .slice(0, 3),
    );
    if (sow < 0)
      fail(
        5439015,
        `$dateTrunc parameter 'startOfWeek' value cannot be recognized as a day of a week: ${String(args.startOfWeek)}`,
      );
    // First `startOfWeek` on or after 2000-01-01 (a Saturday).
    const ref = REF_LOCAL + ((sow - 6 + 7) % 7) * 86_400_000;
    const width = 7 * 86_400_000 * binSize;
    truncated = ref + floorDiv(local - ref, width) * width;
  } else if (unit in FIXED_UNITS) {
    const width = (FIXED_UNITS[unit] as number) * binSize;
    truncated = REF_LOCAL + floorDiv(local - REF_LOCAL, width) * width;
  } else {
    return fail(5439014, `$dateTrunc parameter 'unit' value cannot be recognized as a time unit: ${unit}`);
  }
  return new Date(fromLocalMs(zone, truncated));
}

/**
 * `$isoWeekYear`: mingo derives it from the UTC year, so 2021-01-01 (ISO week
 * 53 of 2020) came out as 2021. Accepts `<date>` or `{date, timezone}`.
 */
export function $isoWeekYear(obj: unknown, expr: unknown, options: Options): number | null {
  const value = evalExpr(obj, expr, options);
  const spec =
    value instanceof Date || value === null || typeof value !== 'object' || !('date' in value)
      ? { date: value }
      : (value as Args);
  const date = toDate(Array.isArray(spec.date) ? spec.date[0] : spec.date, '$isoWeekYear');
  if (date === null) return null;
  return isoWeek(toLocalMs(parseTimezone(spec.timezone), date.getTime())).year;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `$dateToString` honouring `timezone`, `onNull` and every mongod format specifier. */
export function $dateToString(obj: unknown, expr: unknown, options: Options): string | null | unknown {
  const args = evalExpr(obj, expr, options) as Args;
  if (args.date === null || args.date === undefined) return args.onNull !== undefined ? args.onNull : null;
  const date = toDate(args.date, '$dateToString') as Date;
  const zone = parseTimezone(args.timezone);
  const format = args.format === undefined ? '%Y-%m-%dT%H:%M:%S.%LZ' : String(args.format);
  const offset = offsetAt(zone, date.getTime());
  const local = date.getTime() + offset;
  const p = localParts(local);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const spec = format[++i];
    switch (spec) {
      case 'Y':
        out += pad(p.year, 4);
        break;
      case 'm':
        out += pad(p.month);
        break;
      case 'd':
        out += pad(p.day);
        break;
      case 'H':
        out += pad(p.hour);
        break;
      case 'M':
        out += pad(p.minute);
        break;
      case 'S':
        out += pad(p.second);
        break;
      case 'L':
        out += pad(p.millisecond, 3);
        break;
      case 'j':
        out += pad(p.dayOfYear, 3);
        break;
      case 'w':
        out += String(p.dayOfWeek - 1);
        break;
      case 'u':
        out += String(((p.dayOfWeek + 5) % 7) + 1);
        break;
      // strftime's %U: (yday + 7 - wday) / 7, weeks starting on Sunday.
      case 'U':
        out += pad(Math.floor((p.dayOfYear - 1 + 7 - (p.dayOfWeek - 1)) / 7));
        break;
      case 'V':
        out += pad(isoWeek(local).week);
        break;
      case 'G':
        out += pad(isoWeek(local).year, 4);
        break;
      case 'z':
        out += formatOffset(offset);
        break;
      case 'Z':
        out += String(Math.round(offset / 60_000));
        break;
      case 'b':
        out += (MONTH_NAMES[p.month - 1] as string).slice(0, 3);
        break;
      case 'B':
        out += MONTH_NAMES[p.month - 1] as string;
        break;
      case '%':
        out += '%';
        break;
      default:
        fail(18536, `Invalid format character '%${spec ?? ''}' in format string`);
    }
  }
  return out;
}
