import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Directory, PageviewItem, PresenceSnapshot, Summary, TopPage, UserStats } from '@activity-hub/protocol';
import { eventually, startHub, type TestHub } from '../../helpers/hub.ts';
import { getJson, insertPageviews, tokenFor, type PvSpec } from './fixtures.ts';

/**
 * Who sees what, on every endpoint: claims decide the scope and filters only narrow it. An
 * endpoint "sees" a set of users and a number of page views; each role is checked against
 * the answer computed from the test data.
 */
let t: TestHub;
const tok: Record<string, string> = {};
const RANGE = { from: '2026-03-01', to: '2026-04-01' };

const USERS = [
  { userId: 'a1', agencyId: 'acme', locationId: 'north', views: 4 },
  { userId: 'a2', agencyId: 'acme', locationId: 'north', views: 3 },
  { userId: 'a3', agencyId: 'acme', locationId: 'south', views: 2 },
  { userId: 'g1', agencyId: 'globex', locationId: 'downtown', views: 5 },
];

/** Sends a page view through the tracking pipeline (the /collect fallback), for presence and directory. */
async function track(token: string) {
  const body = JSON.stringify({
    token,
    events: [
      {
        type: 'pageview',
        id: randomUUID(),
        seq: 0,
        tabId: randomUUID(),
        url: 'https://app.example.com/contacts',
        path: '/contacts',
        title: 'Contacts',
      },
    ],
  });
  const res = await fetch(`${t.url}/api/v1/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body,
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  t = await startHub();
  const specs: PvSpec[] = USERS.flatMap((u) =>
    Array.from({ length: u.views }, (_, i) => ({
      ...u,
      startedAt: new Date(Date.UTC(2026, 2, 3 + i, 10 + i)),
      path: i % 2 ? '/contacts' : '/reporting',
    })),
  );
  await insertPageviews(t, specs);
  tok.agency = await tokenFor(t, 'boss', { agencyId: 'acme' });
  for (const u of USERS)
    tok[u.userId] = await tokenFor(t, u.userId, { agencyId: u.agencyId, locationId: u.locationId });
  for (const id of ['a1', 'a3', 'g1']) await track(tok[id] as string);
  await eventually(async () => (await t.hub.db.models.sessions.countDocuments({})) === 3);
});
afterAll(() => t?.stop());

type Seen = { status: number; users: string[]; pageviews: number };
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** What one endpoint shows a caller, reduced to users and page views. */
const ENDPOINTS: Record<string, (token: string, q: Record<string, string>) => Promise<Seen>> = {
  pageviews: async (token, q) => {
    const r = await getJson<{ items: PageviewItem[] }>(t, '/pageviews', token, { ...RANGE, ...q });
    return {
      status: r.status,
      users: sorted((r.body.items ?? []).map((i) => i.userId)),
      pageviews: r.body.items?.length ?? 0,
    };
  },
  summary: async (token, q) => {
    const r = await getJson<Summary>(t, '/summary', token, { ...RANGE, ...q });
    return { status: r.status, users: [], pageviews: r.body.totals?.pageviews ?? 0 };
  },
  'top-pages': async (token, q) => {
    const r = await getJson<{ items: TopPage[] }>(t, '/top-pages', token, { ...RANGE, ...q });
    return { status: r.status, users: [], pageviews: (r.body.items ?? []).reduce((a, p) => a + p.pageviews, 0) };
  },
  users: async (token, q) => {
    const r = await getJson<{ items: UserStats[] }>(t, '/users', token, { ...RANGE, ...q });
    return {
      status: r.status,
      users: sorted((r.body.items ?? []).map((u) => u.userId)),
      pageviews: (r.body.items ?? []).reduce((a, u) => a + u.pageviews, 0),
    };
  },
  'export.csv': async (token, q) => {
    const res = await fetch(`${t.url}/api/v1/export.csv?${new URLSearchParams({ ...RANGE, ...q })}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 200) return { status: res.status, users: [], pageviews: 0 };
    const rows = (await res.text()).trim().split('\r\n').slice(1).filter(Boolean);
    return { status: 200, users: sorted(rows.map((r) => r.split(',')[3] as string)), pageviews: rows.length };
  },
};

const expected = (pick: (u: (typeof USERS)[number]) => boolean, withUsers: boolean) => {
  const us = USERS.filter(pick);
  return (name: string): Seen => ({
    status: 200,
    users: withUsers && ['pageviews', 'users', 'export.csv'].includes(name) ? sorted(us.map((u) => u.userId)) : [],
    pageviews: us.reduce((a, u) => a + u.views, 0),
  });
};

describe.each(Object.keys(ENDPOINTS))('%s', (name) => {
  const see = ENDPOINTS[name] as (typeof ENDPOINTS)[string];
  const want = (pick: (u: (typeof USERS)[number]) => boolean) => expected(pick, true)(name);

  it('agency user: the whole agency; ?locationId and ?userId narrow it', async () => {
    expect(await see(tok.agency as string, {})).toEqual(want((u) => u.agencyId === 'acme'));
    expect(await see(tok.agency as string, { locationId: 'north' })).toEqual(want((u) => u.locationId === 'north'));
    expect(await see(tok.agency as string, { userId: 'a3' })).toEqual(want((u) => u.userId === 'a3'));
  });

  it('location user: only their own activity, also when naming themselves', async () => {
    expect(await see(tok.a1 as string, {})).toEqual(want((u) => u.userId === 'a1'));
    expect(await see(tok.a1 as string, { userId: 'a1' })).toEqual(want((u) => u.userId === 'a1'));
    // A location filter cannot widen a location user's scope to their colleagues.
    expect(await see(tok.a1 as string, { locationId: 'north' })).toEqual(want((u) => u.userId === 'a1'));
  });

  it('location user asking for someone else: 403 forbidden', async () => {
    expect((await see(tok.a1 as string, { userId: 'a2' })).status).toBe(403);
  });

  it('another agency sees nothing of acme, even naming acme ids', async () => {
    expect(await see(tok.g1 as string, {})).toEqual(want((u) => u.userId === 'g1'));
    const other = await getJson(
      t,
      '/top-pages',
      tok.agencyGlobex ?? (tok.agencyGlobex = await tokenFor(t, 'boss', { agencyId: 'globex' })),
      {},
    );
    expect(other.status).toBe(200);
    expect(await see(tok.agencyGlobex, { userId: 'a1' })).toEqual({ status: 200, users: [], pageviews: 0 });
    expect(await see(tok.agencyGlobex, { locationId: 'north' })).toEqual({ status: 200, users: [], pageviews: 0 });
  });
});

describe('directory and presence', () => {
  it('directory: agency sees its tracked users, a location user only self, other agency only its own', async () => {
    const users = async (token: string) =>
      (await getJson<Directory>(t, '/directory', token)).body.users.map((u) => u.userId).sort();
    expect(await users(tok.agency as string)).toEqual(['a1', 'a3']);
    expect(await users(tok.a1 as string)).toEqual(['a1']);
    expect(await users(tok.a2 as string)).toEqual([]);
    expect(await users(tok.g1 as string)).toEqual(['g1']);
  });

  it('presence: the same scoping for who is online', async () => {
    const online = async (token: string) =>
      (await getJson<PresenceSnapshot>(t, '/presence', token)).body.entries.map((e) => e.userId).sort();
    expect(await online(tok.agency as string)).toEqual(['a1', 'a3']);
    expect(await online(tok.a3 as string)).toEqual(['a3']);
    expect(await online(tok.a2 as string)).toEqual([]);
    expect(await online(tok.g1 as string)).toEqual(['g1']);
  });
});

describe('without a valid token', () => {
  it.each([
    '/pageviews',
    '/summary?from=2026-03-01&to=2026-03-02',
    '/top-pages',
    '/users',
    '/export.csv',
    '/directory',
    '/presence',
  ])('%s answers 401', async (path) => {
    const none = await fetch(`${t.url}/api/v1${path}`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('token_missing');
    const bad = await fetch(`${t.url}/api/v1${path}`, { headers: { authorization: 'Bearer not.a.token' } });
    expect(bad.status).toBe(401);
  });
});
