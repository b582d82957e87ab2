import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heatmapSchema, WEEKDAYS, type Heatmap, type Summary } from '@activity-hub/protocol';
import type { PageviewDoc } from '../../../server/src/storage/models.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { buildSessions, insertSessions } from './activity-fixtures.ts';
import { getJson, tokenFor } from './fixtures.ts';

/**
 * The heatmap against ground truth computed here with Intl from the seeded page views, in a
 * whole-hour zone and a half-hour one, and against `/summary`'s totals for the same filters.
 */
let t: TestHub;
let pvs: PageviewDoc[];
let boss: string;
const USERS = [
  { userId: 'ana', locationId: 'loc-1' },
  { userId: 'ben', locationId: 'loc-1' },
  { userId: 'cy', locationId: 'loc-2' },
];

beforeAll(async () => {
  t = await startHub();
  const seeded = buildSessions({
    agencyId: 'acme',
    users: USERS,
    count: 400,
    from: Date.parse('2026-09-28T00:00:00Z'),
    to: Date.parse('2026-10-20T00:00:00Z'),
    seed: 11,
  });
  await insertSessions(t, seeded);
  pvs = seeded.flatMap((s) => s.pageviews);
  boss = await tokenFor(t, 'boss');
});
afterAll(() => t?.stop());

const names: Record<string, (typeof WEEKDAYS)[number]> = {
  Mon: 'monday',
  Tue: 'tuesday',
  Wed: 'wednesday',
  Thu: 'thursday',
  Fri: 'friday',
  Sat: 'saturday',
  Sun: 'sunday',
};
/** Ground truth: "weekday hour" → sums, from Intl (not from the code under test). */
function truth(tz: string, from: number, to: number, keep: (p: PageviewDoc) => boolean = () => true) {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: 'numeric', hourCycle: 'h23' });
  const out = new Map<string, { pageviews: number; engagedMs: number }>();
  for (const p of pvs) {
    const ms = p.startedAt.getTime();
    if (ms < from || ms >= to || !keep(p)) continue;
    const parts = Object.fromEntries(f.formatToParts(p.startedAt).map((x) => [x.type, x.value]));
    const k = `${names[parts.weekday as string]} ${Number(parts.hour)}`;
    const c = out.get(k) ?? { pageviews: 0, engagedMs: 0 };
    c.pageviews++;
    c.engagedMs += p.engagedMs;
    out.set(k, c);
  }
  return out;
}
const nonZero = (h: Heatmap) =>
  new Map(
    h.cells
      .filter((c) => c.pageviews > 0)
      .map((c) => [`${c.weekday} ${c.hour}`, { pageviews: c.pageviews, engagedMs: c.engagedMs }]),
  );

async function heatmap(query: Record<string, string>, token = boss): Promise<Heatmap> {
  const res = await getJson<Heatmap>(t, '/heatmap', token, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(heatmapSchema.safeParse(res.body).success).toBe(true);
  return res.body;
}

describe('GET /heatmap', () => {
  for (const [tz, from, to] of [
    ['UTC', '2026-10-01T00:00:00Z', '2026-10-15T00:00:00Z'],
    ['Asia/Kolkata', '2026-09-30T18:30:00Z', '2026-10-14T18:30:00Z'],
  ] as const) {
    it(`matches the seed's ground truth and /summary's totals in ${tz}`, async () => {
      const lo = Date.parse(from);
      const hi = Date.parse(to);
      const h = await heatmap({ from, to, tz });
      expect(nonZero(h)).toEqual(truth(tz, lo, hi));
      const s = await getJson<Summary>(t, '/summary', boss, { from, to, tz, granularity: 'day' });
      expect([s.body.from, s.body.to]).toEqual([new Date(lo).toISOString(), new Date(hi).toISOString()]);
      expect(h.totals).toEqual({ pageviews: s.body.totals.pageviews, engagedMs: s.body.totals.engagedMs });
      expect(h.totals.pageviews).toBeGreaterThan(100);
      const filters: Record<string, string>[] = [{ userId: 'ana' }, { locationId: 'loc-2' }, { path: '/calendar' }];
      for (const q of filters) {
        const hq = await heatmap({ from, to, tz, ...q });
        const sq = await getJson<Summary>(t, '/summary', boss, { from, to, tz, ...q });
        expect(hq.totals).toEqual({ pageviews: sq.body.totals.pageviews, engagedMs: sq.body.totals.engagedMs });
        const [[field, value]] = Object.entries(q) as [[keyof PageviewDoc, string]];
        expect(nonZero(hq)).toEqual(truth(tz, lo, hi, (p) => p[field] === value));
      }
    });
  }

  it('is exact for ranges off the 15-minute grid (edges read from raw page views)', async () => {
    const from = '2026-10-02T07:07:13Z';
    const to = '2026-10-09T16:52:01Z';
    const h = await heatmap({ from, to, tz: 'Asia/Kolkata' });
    expect(nonZero(h)).toEqual(truth('Asia/Kolkata', Date.parse(from), Date.parse(to)));
  });

  it('orders cells from weekStart and scopes a location user to themselves', async () => {
    const range = { from: '2026-10-01T00:00:00Z', to: '2026-10-15T00:00:00Z' };
    const h = await heatmap({ ...range, weekStart: 'sunday' });
    expect(h.cells.length).toBe(168);
    expect(h.cells.slice(0, 25).map((c) => `${c.weekday} ${c.hour}`)).toEqual([
      ...Array.from({ length: 24 }, (_, i) => `sunday ${i}`),
      'monday 0',
    ]);
    const ben = await tokenFor(t, 'ben', { locationId: 'loc-1' });
    const mine = await heatmap(range, ben);
    expect(nonZero(mine)).toEqual(
      truth('UTC', Date.parse(range.from), Date.parse(range.to), (p) => p.userId === 'ben'),
    );
    expect((await getJson(t, '/heatmap', ben, { ...range, userId: 'ana' })).status).toBe(403);
    expect((await getJson(t, '/heatmap', boss, { to: range.to })).status).toBe(400);
    expect((await getJson(t, '/heatmap', boss, { from: '2020-01-01', to: range.to })).status).toBe(400);
    expect((await getJson(t, '/heatmap', boss, { ...range, weekStart: 'funday' })).status).toBe(400);
  });
});
