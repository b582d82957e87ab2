import { WEEKDAYS, type Heatmap, type HeatmapCell } from '@activity-hub/protocol';
import { AppError } from './app-error.ts';
import type { HistoryFilter } from './history-ports.ts';
import { DAY_MS } from './rollup-days.ts';
import { ceilToBucket, floorToBucket, isBucketAligned, ROLLUP_BUCKET_MS } from './rollup-keys.ts';
import type { StatsReader, StatsScope } from './stats-ports.ts';

const HOUR_MS = 3_600_000;
/** Longest range a heatmap covers: a little over two years of hours. */
export const HEATMAP_MAX_DAYS = 800;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset from UTC at `t`, in ms. */
function offsetAt(tz: string, t: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const x of f.formatToParts(new Date(t))) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const local = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return local - Math.floor(t / 1000) * 1000;
}

/** Monday = 0 … Sunday = 6, and the hour, of the local time at `t`. */
function cellOf(t: number, offset: number): [number, number] {
  const d = new Date(t + offset);
  return [(d.getUTCDay() + 6) % 7, d.getUTCHours()];
}

/**
 * Intervals [b[i], b[i+1]) covering [lo, hi), split at every local hour start, each with the
 * (weekday, hour) it belongs to. Offsets are looked up once a day, and finely only on the
 * days where they change (DST), so a year costs a few hundred look-ups, not thousands.
 */
export function hourIntervals(lo: number, hi: number, tz: string): { boundaries: number[]; cells: [number, number][] } {
  const boundaries: number[] = [];
  const cells: [number, number][] = [];
  const push = (t: number, off: number) => {
    if (boundaries[boundaries.length - 1] === t) return;
    boundaries.push(t);
    cells.push(cellOf(t, off));
  };
  let a = lo;
  while (a < hi) {
    const off = offsetAt(tz, a);
    let b = Math.min(a + DAY_MS, hi);
    if (offsetAt(tz, b) !== off) {
      // The first 15-minute edge with another offset (every modern zone changes on one).
      let x = floorToBucket(a);
      let y = ceilToBucket(b);
      while (y - x > ROLLUP_BUCKET_MS) {
        const m = floorToBucket((x + y) / 2);
        if (offsetAt(tz, m) === off) x = m;
        else y = m;
      }
      b = Math.max(Math.min(y, hi), a + 1);
    }
    push(a, off);
    for (let t = Math.ceil((a + off) / HOUR_MS) * HOUR_MS - off; t < b; t += HOUR_MS) if (t > a) push(t, off);
    a = b;
  }
  boundaries.push(hi);
  return { boundaries, cells };
}

/**
 * The weekday × hour heatmap of [from, to) in `tz`: whole 15-minute buckets from the rollups,
 * the ragged edges from raw page views, the same split `/summary` uses, so the sums agree.
 */
export async function heatmap(
  reader: StatsReader,
  catchUp: (agencyId: string) => Promise<unknown>,
  filter: HistoryFilter & { from: Date; to: Date },
  spec: { tz: string; weekStart: (typeof WEEKDAYS)[number] },
): Promise<Heatmap> {
  const { from: _f, to: _t, ...scope } = filter;
  const from = filter.from.getTime();
  const to = filter.to.getTime();
  if (to - from > HEATMAP_MAX_DAYS * DAY_MS)
    throw new AppError('validation_failed', `A heatmap covers at most ${HEATMAP_MAX_DAYS} days`);
  const grid = Array.from({ length: 7 * 24 }, () => ({ pageviews: 0, engagedMs: 0 }));
  const add = (cell: [number, number], r: { pageviews: number; engagedMs: number }) => {
    const g = grid[cell[0] * 24 + cell[1]] as (typeof grid)[number];
    g.pageviews += r.pageviews;
    g.engagedMs += r.engagedMs;
  };
  const read = async (source: 'rollups' | 'pageviews', lo: number, hi: number) => {
    if (lo >= hi) return;
    const { boundaries, cells } = hourIntervals(lo, hi, spec.tz);
    const rows = await reader.bucketTotals(
      scope as StatsScope,
      source === 'rollups' && boundaries.every(isBucketAligned) ? 'rollups' : 'pageviews',
      boundaries.map((b) => new Date(b)),
    );
    rows.forEach((r, i) => add(cells[i] as [number, number], r));
  };
  await catchUp(filter.agencyId);
  const lo = ceilToBucket(from);
  const hi = floorToBucket(to);
  if (lo >= hi) await read('pageviews', from, to);
  else await Promise.all([read('pageviews', from, lo), read('rollups', lo, hi), read('pageviews', hi, to)]);
  const first = WEEKDAYS.indexOf(spec.weekStart);
  const out: HeatmapCell[] = [];
  for (let i = 0; i < 7; i++) {
    const w = (first + i) % 7;
    for (let h = 0; h < 24; h++) {
      const g = grid[w * 24 + h] as (typeof grid)[number];
      out.push({ weekday: WEEKDAYS[w] as HeatmapCell['weekday'], hour: h, ...g });
    }
  }
  return {
    from: filter.from.toISOString(),
    to: filter.to.toISOString(),
    tz: spec.tz,
    weekStart: spec.weekStart,
    cells: out,
    totals: {
      pageviews: grid.reduce((n, g) => n + g.pageviews, 0),
      engagedMs: grid.reduce((n, g) => n + g.engagedMs, 0),
    },
  };
}
