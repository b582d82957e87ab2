import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionDetailSchema, sessionsPageSchema, type SessionDetail } from '@activity-hub/protocol';
import { devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { allSessions, buildSessions, insertSessions, newestFirst, type SeededSession } from './activity-fixtures.ts';
import { getJson, tokenFor } from './fixtures.ts';

/** Sessions list and detail against seeded sessions whose answer the test computes itself. */
let t: TestHub;
let seeded: SeededSession[];
let other: SeededSession[];
let boss: string;
const FROM = Date.parse('2026-10-01T00:00:00Z');
const TO = Date.parse('2026-10-08T00:00:00Z');
const USERS = [
  { userId: 'ana', locationId: 'loc-1' },
  { userId: 'ben', locationId: 'loc-1' },
  { userId: 'cy', locationId: 'loc-2' },
];

beforeAll(async () => {
  t = await startHub();
  seeded = buildSessions({ agencyId: 'acme', users: USERS, count: 120, from: FROM, to: TO, seed: 7 });
  // Another tenant with the same user ids and overlapping times.
  other = buildSessions({ agencyId: 'globex', users: USERS, count: 20, from: FROM, to: TO, seed: 8 });
  await insertSessions(t, [...seeded, ...other]);
  boss = await tokenFor(t, 'boss');
});
afterAll(() => t?.stop());

const range = { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() };

describe('GET /sessions', () => {
  it('pages to the end newest first, without duplicates or gaps, with correct figures', async () => {
    const { items, pages } = await allSessions(t, boss, { ...range, limit: '7' });
    const want = [...seeded].sort(newestFirst);
    expect(pages).toBe(Math.ceil(want.length / 7));
    expect(items.map((i) => i.tabId)).toEqual(want.map((s) => s.session.id));
    for (const [i, item] of items.entries()) {
      const s = want[i] as SeededSession;
      expect(item).toEqual({
        id: item.id,
        tabId: s.session.id,
        userId: s.session.userId,
        name: s.session.userName,
        locationId: s.session.locationId,
        device: 'desktop',
        startedAt: s.session.startedAt.toISOString(),
        lastSeenAt: s.session.lastSeenAt.toISOString(),
        endedAt: s.session.endedAt?.toISOString() ?? null,
        engagedMs: s.pageviews.reduce((n, p) => n + p.engagedMs, 0),
        pageviews: s.pageviews.length,
        entryPath: s.pageviews[0]?.path,
        exitPath: s.pageviews[s.pageviews.length - 1]?.path,
      });
    }
    const first = await getJson(t, '/sessions', boss, { ...range, limit: '7' });
    expect(sessionsPageSchema.safeParse(first.body).success).toBe(true);
  });

  it('filters by user, location, time and path', async () => {
    const byUser = await allSessions(t, boss, { ...range, userId: 'ben', limit: '50' });
    expect(byUser.items.map((i) => i.tabId)).toEqual(
      seeded
        .filter((s) => s.session.userId === 'ben')
        .sort(newestFirst)
        .map((s) => s.session.id),
    );
    const byLoc = await allSessions(t, boss, { ...range, locationId: 'loc-2' });
    expect(byLoc.items.map((i) => i.tabId)).toEqual(
      seeded
        .filter((s) => s.session.locationId === 'loc-2')
        .sort(newestFirst)
        .map((s) => s.session.id),
    );
    const mid = FROM + 3 * 86_400_000;
    const late = await allSessions(t, boss, { from: new Date(mid).toISOString(), to: range.to });
    expect(late.items.map((i) => i.tabId)).toEqual(
      seeded
        .filter((s) => s.session.startedAt.getTime() >= mid)
        .sort(newestFirst)
        .map((s) => s.session.id),
    );
    const byPath = await allSessions(t, boss, { ...range, path: '/settings/team', limit: '3' });
    const want = seeded.filter((s) => s.pageviews.some((p) => p.path === '/settings/team')).sort(newestFirst);
    expect(want.length).toBeGreaterThan(5);
    expect(byPath.items.map((i) => i.tabId)).toEqual(want.map((s) => s.session.id));
  });

  it('refuses a malformed cursor and a reversed range', async () => {
    expect((await getJson(t, '/sessions', boss, { cursor: 'nope!' })).status).toBe(400);
    expect((await getJson(t, '/sessions', boss, { from: range.to, to: range.from })).status).toBe(400);
    expect((await getJson(t, '/sessions', boss, { limit: '0' })).status).toBe(400);
    expect((await getJson(t, '/sessions', boss, { tz: 'Mars/Olympus' })).status).toBe(400);
  });
});

describe('a tracked session', () => {
  it('has the lastSeenAt of its latest heartbeat, which writes only the page view', async () => {
    const dee = { userId: 'dee', role: 'location' as const, agencyId: 'acme', locationId: 'loc-3' };
    const tracker = await FakeTracker.connect(t.url, await devToken(t.url, dee, { scope: 'track' }));
    try {
      const pv = tracker.pageview('/dashboard');
      expect(await tracker.send(pv)).toEqual({ ok: true });
      await new Promise((r) => setTimeout(r, 1_200));
      expect(await tracker.send(tracker.heartbeat(pv.id as string, 1_000))).toEqual({ ok: true });
      const now = {
        from: new Date(Date.now() - 60_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      };
      const { items } = await allSessions(t, boss, { ...now, userId: 'dee' });
      expect(items).toHaveLength(1);
      const session = items[0]!;
      const detail = await getJson<SessionDetail>(t, `/sessions/${session.id}`, boss);
      const page = detail.body.pageviews[0]!;
      expect(Date.parse(page.lastSeenAt) - Date.parse(page.startedAt)).toBeGreaterThanOrEqual(1_000);
      expect(session.lastSeenAt).toBe(page.lastSeenAt);
      expect(detail.body.session.lastSeenAt).toBe(page.lastSeenAt);
    } finally {
      tracker.close();
    }
  });
});

describe('GET /sessions/:id', () => {
  it('returns the session and its page views in order, with the fields /pageviews has', async () => {
    const s = seeded.find((x) => x.pageviews.length >= 3) as SeededSession;
    const list = await allSessions(t, boss, { ...range, userId: s.session.userId });
    const item = list.items.find((i) => i.tabId === s.session.id);
    const res = await getJson<SessionDetail>(t, `/sessions/${encodeURIComponent(item?.id ?? '')}`, boss);
    expect(res.status).toBe(200);
    expect(sessionDetailSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.session).toEqual(item);
    expect(res.body.pageviews.map((p) => [p.id, p.path, p.engagedMs])).toEqual(
      s.pageviews.map((p) => [p.id, p.path, p.engagedMs]),
    );
    const viaList = await getJson<{ items: unknown[] }>(t, '/pageviews', boss, {
      userId: s.session.userId,
      limit: '500',
    });
    for (const p of res.body.pageviews) expect(viaList.body.items).toContainEqual(p);
  });

  it('answers 404 alike for a missing, malformed or out-of-scope session', async () => {
    const mine = seeded.find((s) => s.session.userId === 'ana') as SeededSession;
    const theirs = other[0] as SeededSession;
    const idOf = (s: SeededSession) =>
      Buffer.from(JSON.stringify([s.session.userId, s.session.id])).toString('base64url');
    const globex = await tokenFor(t, 'boss', { agencyId: 'globex' });
    const ben = await tokenFor(t, 'ben', { locationId: 'loc-1' });
    const cases: [string, string][] = [
      [globex, idOf(mine)], // another tenant's session
      [boss, idOf(theirs)],
      [ben, idOf(mine)], // a colleague's session, for a location user
      [boss, 'garbage'],
      [boss, Buffer.from('["ana"]').toString('base64url')],
      [boss, Buffer.from(JSON.stringify(['ana', 'no-such-tab'])).toString('base64url')],
    ];
    for (const [token, id] of cases) {
      const res = await getJson<{ error: { code: string } }>(t, `/sessions/${encodeURIComponent(id)}`, token);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await getJson(t, `/sessions/${idOf(mine)}`, boss)).status).toBe(200);
  });
});
