/**
 * Time-zone arithmetic for the date operators we re-implement.
 *
 * MongoDB accepts Olson names ("Europe/Berlin") and fixed offsets ("+05:30",
 * "-0800", "+03"). We resolve Olson offsets with Intl, which ships the full
 * tz database in Node, and do all calendar math on "local epoch" values
 * (wall-clock time encoded as if it were UTC).
 */
import { fail } from './errors.ts';

/** A resolved timezone: fixed offset or an IANA zone. */
export type Zone = { kind: 'fixed'; offsetMs: number } | { kind: 'iana'; name: string; fmt: Intl.DateTimeFormat };

const UTC: Zone = { kind: 'fixed', offsetMs: 0 };
const zoneCache = new Map<string, Zone>();

/** Parses the `timezone` argument of a date operator (undefined → UTC). */
export function parseTimezone(tz: unknown): Zone {
  if (tz === undefined || tz === null) return UTC;
  if (typeof tz !== 'string') fail(40517, `timezone must evaluate to a string, found ${typeof tz}`);
  const cached = zoneCache.get(tz);
  if (cached) return cached;
  let zone: Zone;
  const fixed = /^([+-])(\d{2}):?(\d{2})?$/.exec(tz);
  if (fixed) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3] ?? 0);
    zone = { kind: 'fixed', offsetMs: (fixed[1] === '-' ? -1 : 1) * minutes * 60_000 };
  } else if (tz === 'UTC' || tz === 'GMT' || tz === 'Z') {
    zone = UTC;
  } else {
    try {
      const fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
      zone = { kind: 'iana', name: tz, fmt };
    } catch {
      fail(40485, `unrecognized time zone identifier: "${tz}"`);
    }
  }
  zoneCache.set(tz, zone);
  return zone;
}

// Offsets only change on minute boundaries, so memoising per minute is safe
// and turns the (slow) Intl call into a Map hit for grouped aggregations.
const offsetCache = new Map<string, number>();

/** Offset in ms to add to a UTC instant to get wall-clock time in `zone`. */
export function offsetAt(zone: Zone, utcMs: number): number {
  if (zone.kind === 'fixed') return zone.offsetMs;
  const minute = Math.floor(utcMs / 60_000);
  const key = `${zone.name}|${minute}`;
  const hit = offsetCache.get(key);
  if (hit !== undefined) return hit;
  const p: Record<string, number> = {};
  for (const part of zone.fmt.formatToParts(new Date(minute * 60_000))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const local = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  const offset = local - minute * 60_000;
  if (offsetCache.size > 50_000) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/** Wall-clock time of `utcMs` in `zone`, encoded as a UTC epoch. */
export function toLocalMs(zone: Zone, utcMs: number): number {
  return utcMs + offsetAt(zone, utcMs);
}

/**
 * Inverse of {@link toLocalMs}. Two refinement steps settle on the right
 * offset except inside DST gaps/overlaps, where mongod is equally arbitrary.
 */
export function fromLocalMs(zone: Zone, localMs: number): number {
  const guess = localMs - offsetAt(zone, localMs);
  return localMs - offsetAt(zone, guess);
}

/** Calendar fields of a local-epoch value. */
export interface LocalParts {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  dayOfWeek: number; // 1 = Sunday … 7 = Saturday (MongoDB's $dayOfWeek)
  dayOfYear: number; // 1..366
}

/** Splits a local-epoch value into calendar fields. */
export function localParts(localMs: number): LocalParts {
  const d = new Date(localMs);
  const year = d.getUTCFullYear();
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
    dayOfWeek: d.getUTCDay() + 1,
    dayOfYear: Math.floor((Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(year, 0, 1)) / 86_400_000) + 1,
  };
}

/** ISO-8601 week number and week-year of a local-epoch value. */
export function isoWeek(localMs: number): { week: number; year: number } {
  const d = new Date(localMs);
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return { week, year };
}

/** Formats a UTC offset as MongoDB's %z does (+hhmm). */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.abs(Math.round(offsetMs / 60_000));
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
}
