import { describe, expect, it } from 'vitest';
import { calendarRange } from '../../../server/src/domain/calendar-buckets.ts';
import { dayOf } from '../../../server/src/domain/rollup-days.ts';
import { bucketMonths } from '../../../server/src/domain/rollup-months.ts';
import { floorToBucket, rangeSegments, ROLLUP_BUCKET_MS } from '../../../server/src/domain/rollup-keys.ts';
import { bucketIndexExpr } from '../../../server/src/storage/stats-queries.ts';
import { prng } from '../../../server/src/cli/seed-catalog.ts';

/** The pure pieces under the statistics: calendar ranges, segments, bucket search. */
const iso = (ms: number) => new Date(ms).toISOString();

describe('calendarRange', () => {
  it('previous period: same number of calendar buckets, even across month lengths', () => {
    const r = calendarRange(new Date('2026-03-10T00:00:00Z'), new Date('2026-03-11T00:00:00Z'), {
      granularity: 'month',
      tz: 'UTC',
      weekStart: 'monday',
    });
    expect(r.boundaries.map(iso)).toEqual(['2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']);
    expect(r.previous.map(iso)).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
  });

  it('every boundary of every zone in use is on a 15-minute edge', () => {
    const zones = [
      'Asia/Kathmandu',
      'Asia/Kolkata',
      'Australia/Adelaide',
      'Pacific/Chatham',
      'America/St_Johns',
      'Australia/Eucla',
    ];
    for (const tz of zones) {
      const r = calendarRange(new Date('2025-01-01'), new Date('2026-01-01'), {
        granularity: 'day',
        tz,
        weekStart: 'monday',
      });
      expect(
        r.boundaries.every((b) => b % ROLLUP_BUCKET_MS === 0),
        tz,
      ).toBe(true);
      // 365 local days, plus one when the UTC range reaches into a local day at either end.
      expect(r.boundaries.length).toBeGreaterThanOrEqual(366);
    }
  });

  it('refuses more buckets than allowed', () => {
    const spec = { granularity: 'week', tz: 'UTC', weekStart: 'monday' } as const;
    expect(() => calendarRange(new Date('2024-01-01'), new Date('2026-06-01'), spec)).toThrow(/at most 120 weeks/);
  });
});

describe('rangeSegments', () => {
  const d = (s: string) => new Date(s);
  it('whole buckets from rollups, ragged edges from page views', () => {
    const segs = rangeSegments(d('2026-03-01T10:07:00Z'), d('2026-03-01T12:50:00Z'));
    expect(segs.map((s) => [s.source, s.from?.toISOString(), s.to?.toISOString()])).toEqual([
      ['pageviews', '2026-03-01T10:07:00.000Z', '2026-03-01T10:15:00.000Z'],
      ['rollups', '2026-03-01T10:15:00.000Z', '2026-03-01T12:45:00.000Z'],
      ['pageviews', '2026-03-01T12:45:00.000Z', '2026-03-01T12:50:00.000Z'],
    ]);
  });

  it('aligned or open ranges are rollups only; tiny ranges page views only', () => {
    expect(rangeSegments(undefined, undefined)).toEqual([{ source: 'rollups' }]);
    expect(rangeSegments(d('2026-03-01T10:00:00Z'), undefined)).toEqual([
      { source: 'rollups', from: d('2026-03-01T10:00:00Z') },
    ]);
    expect(rangeSegments(d('2026-03-01T10:01:00Z'), d('2026-03-01T10:14:00Z'))).toEqual([
      { source: 'pageviews', from: d('2026-03-01T10:01:00Z'), to: d('2026-03-01T10:14:00Z') },
    ]);
  });
});

describe('bucket search', () => {
  const rnd = prng(3);
  const boundaries = [0];
  for (let i = 0; i < 37; i++)
    boundaries.push((boundaries[i] as number) + ROLLUP_BUCKET_MS * (1 + Math.floor(rnd() * 200)));
  const linear = (t: number) => boundaries.findIndex((b, i) => t >= b && t < (boundaries[i + 1] ?? -Infinity));

  /** Evaluates the `$cond` tree the way the database does. */
  function evaluate(expr: unknown, t: number): number {
    if (typeof expr === 'number') return expr;
    const [cond, then, otherwise] = (expr as { $cond: [{ $lt: [string, Date] }, unknown, unknown] }).$cond;
    return evaluate(t < cond.$lt[1].getTime() ? then : otherwise, t);
  }

  it('the $cond tree puts every instant in its half-open interval', () => {
    const expr = bucketIndexExpr(
      '$t',
      boundaries.map((b) => new Date(b)),
    );
    for (let i = 0; i < 2_000; i++) {
      const t = Math.floor(rnd() * (boundaries.at(-1) as number));
      expect(evaluate(expr, t)).toBe(linear(t));
    }
    for (const b of boundaries.slice(0, -1)) expect(evaluate(expr, b)).toBe(linear(b));
  });

  it('user-months spread their slots over calendar buckets', () => {
    const day = dayOf(Date.UTC(2026, 2, 1));
    const month = (userId: string, slots: { slot: number; p: number; m: number }[]) => ({
      userId,
      locationId: null,
      month: day,
      userName: userId,
      slots: slots.map((s) => ({ ...s, l: day })),
    });
    const rows = bucketMonths(
      [
        month('a', [
          { slot: 0, p: 1, m: 10 },
          { slot: 73, p: 2, m: 20 },
          { slot: 95, p: 4, m: 40 },
        ]),
        month('b', [{ slot: 74, p: 8, m: 80 }]),
      ],
      [day, floorToBucket(day + 18.5 * 3_600_000), day + 86_400_000],
    );
    expect(rows).toEqual([
      { pageviews: 3, engagedMs: 30, users: ['a'] },
      { pageviews: 12, engagedMs: 120, users: ['a', 'b'] },
    ]);
  });
});
