import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary, TopPage, UserStats } from '@activity-hub/protocol';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { allPageviews, getJson, insertPageviews, tokenFor, type PvSpec } from './fixtures.ts';
import { prng } from '../../../server/src/cli/seed-catalog.ts';

/**
 * The statistics must add up to what `/pageviews` lists for the same filter: the summary's
 * buckets, the top pages and the users, in zones with odd offsets, with every filter, and for
 * ranges whose edges are not on 15-minute boundaries (answered partly from raw page views).
 */
let t: TestHub;
let token: string;
const START = Date.UTC(2026, 2, 20);
const PATHS = ['/contacts', '/opportunities', '/conversations', '/calendars', '/reporting'];

beforeAll(async () => {
  t = await startHub();
  token = await tokenFor(t, 'boss');
  const rnd = prng(42);
  const specs: PvSpec[] = [];
  for (let i = 0; i < 600; i++) {
    const user = Math.floor(rnd() * 6);
    specs.push({
      userId: `u${user}`,
      userName: `User ${user}`,
      locationId: user < 3 ? 'north' : user < 5 ? 'south' : null,
      path: PATHS[Math.floor(rnd() * rnd() * PATHS.length)] as string,
      // Spread over 25 days, to the millisecond, across Europe's spring forward (Mar 29).
      startedAt: new Date(START + Math.floor(rnd() * 25 * 86_400_000)),
      engagedMs: Math.floor(rnd() * 120_000),
    });
  }
  await insertPageviews(t, specs);
});
afterAll(() => t?.stop());

const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);

describe('statistics add up to the page views', () => {
  const cases: [string, Record<string, string>][] = [
    ['day, Kathmandu', { granularity: 'day', tz: 'Asia/Kathmandu' }],
    ['week (sunday), New York', { granularity: 'week', tz: 'America/New_York', weekStart: 'sunday' }],
    ['month, Berlin, one location', { granularity: 'month', tz: 'Europe/Berlin', locationId: 'north' }],
    ['day, Adelaide, one path', { granularity: 'day', tz: 'Australia/Adelaide', path: '/contacts' }],
    ['day, Kolkata, one user', { granularity: 'day', tz: 'Asia/Kolkata', userId: 'u4' }],
  ];
  it.each(cases)('summary buckets == /pageviews (%s)', async (_name, q) => {
    const { granularity: _g, tz: _tz, weekStart: _w, ...filters } = q;
    const res = await getJson<Summary>(t, '/summary', token, {
      from: '2026-03-21T10:07:00Z',
      to: '2026-04-10T03:00:00Z',
      ...q,
    });
    expect(res.status).toBe(200);
    const s = res.body;
    const items = await allPageviews(t, token, { from: s.from, to: s.to, ...filters });
    expect(items.length).toBeGreaterThan(0);
    expect(sum(s.buckets, (b) => b.pageviews)).toBe(items.length);
    expect(sum(s.buckets, (b) => b.engagedMs)).toBe(sum(items, (i) => i.engagedMs));
    expect(s.totals.pageviews).toBe(items.length);
    expect(s.totals.users).toBe(new Set(items.map((i) => i.userId)).size);
    // Each bucket on its own, too.
    for (const b of s.buckets) {
      const inside = items.filter((i) => i.startedAt >= b.start && i.startedAt < b.end);
      expect([b.pageviews, b.users]).toEqual([inside.length, new Set(inside.map((i) => i.userId)).size]);
    }
  });

  it('top pages and users match /pageviews for a range with ragged edges', async () => {
    const range = { from: '2026-03-22T08:07:13.500Z', to: '2026-04-02T17:52:01Z' };
    const items = await allPageviews(t, token, range);
    const pages = (await getJson<{ items: TopPage[] }>(t, '/top-pages', token, { ...range, limit: '500' })).body.items;
    expect(sum(pages, (p) => p.pageviews)).toBe(items.length);
    for (const p of pages) {
      const mine = items.filter((i) => i.path === p.path);
      expect(p).toEqual({
        path: p.path,
        pageviews: mine.length,
        engagedMs: sum(mine, (i) => i.engagedMs),
        users: new Set(mine.map((i) => i.userId)).size,
        avgEngagedMs: Math.round(sum(mine, (i) => i.engagedMs) / mine.length),
      });
    }
    expect(pages.map((p) => p.pageviews)).toEqual([...pages.map((p) => p.pageviews)].sort((a, b) => b - a));
    const users = (await getJson<{ items: UserStats[] }>(t, '/users', token, range)).body.items;
    expect(sum(users, (u) => u.pageviews)).toBe(items.length);
    for (const u of users) {
      const mine = items.filter((i) => i.userId === u.userId);
      expect(u.engagedMs).toBe(sum(mine, (i) => i.engagedMs));
      expect(u.name).toBe(`User ${u.userId.slice(1)}`);
      expect(u.lastSeen).toBe(
        mine
          .map((i) => i.lastSeenAt)
          .sort()
          .at(-1),
      );
      const locs = new Map<string, number>();
      for (const i of mine) if (i.locationId) locs.set(i.locationId, (locs.get(i.locationId) ?? 0) + 1);
      expect(u.topLocationId).toBe([...locs].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null);
    }
  });

  it('top pages of one location over whole days (path-days) match /pageviews, and see new writes', async () => {
    const range = { from: '2026-03-20T00:00:00Z', to: '2026-04-05T00:00:00Z', locationId: 'north' };
    const pagesOf = async () =>
      (await getJson<{ items: TopPage[] }>(t, '/top-pages', token, { ...range, limit: '500' })).body.items;
    const check = async () => {
      const items = await allPageviews(t, token, range);
      const pages = await pagesOf();
      expect(sum(pages, (p) => p.pageviews)).toBe(items.length);
      for (const p of pages) {
        const mine = items.filter((i) => i.path === p.path);
        expect([p.pageviews, p.engagedMs, p.users]).toEqual([
          mine.length,
          sum(mine, (i) => i.engagedMs),
          new Set(mine.map((i) => i.userId)).size,
        ]);
      }
    };
    await check();
    await insertPageviews(t, [
      { userId: 'u1', startedAt: '2026-03-25T12:00:00Z', locationId: 'north', path: '/fresh' },
    ]);
    await check();
    expect((await pagesOf()).find((p) => p.path === '/fresh')?.pageviews).toBe(1);
  });

  it('limits top pages, most viewed first', async () => {
    const res = await getJson<{ items: TopPage[] }>(t, '/top-pages', token, { limit: '2' });
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items[0]?.pageviews).toBeGreaterThanOrEqual(res.body.items[1]?.pageviews ?? 0);
  });

  it('is exact right after new writes (catch-up before reading)', async () => {
    const q = { from: '2026-05-01', to: '2026-05-02' };
    const before = (await getJson<Summary>(t, '/summary', token, q)).body.totals.pageviews;
    await insertPageviews(t, [
      { userId: 'u1', startedAt: '2026-05-01T12:00:00Z' },
      { userId: 'u2', startedAt: '2026-05-01T12:01:00Z' },
    ]);
    expect((await getJson<Summary>(t, '/summary', token, q)).body.totals).toMatchObject({
      pageviews: before + 2,
      users: 2,
    });
  });
});
