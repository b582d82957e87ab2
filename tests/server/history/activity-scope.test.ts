import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionDetail, SessionsPage } from '@activity-hub/protocol';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { allSessions, buildSessions, insertSessions, newestFirst, type SeededSession } from './activity-fixtures.ts';
import { getJson, tokenFor } from './fixtures.ts';

/** Scope on the activity routes, forged cursors, and hostile text that must come back as data. */
let t: TestHub;
let acme: SeededSession[];
let boss: string;
const range = { from: '2026-10-01T00:00:00Z', to: '2026-10-08T00:00:00Z' };
const HOSTILE = {
  name: '<img src=x onerror=alert(1)>&amp;"\'',
  title: '</script><script>alert("t")</script>',
  path: '/a"><svg onload=alert(1)>',
};

beforeAll(async () => {
  t = await startHub();
  const span = { from: Date.parse(range.from), to: Date.parse(range.to) };
  acme = buildSessions({
    agencyId: 'acme',
    users: [
      { userId: 'ana', locationId: 'loc-1' },
      { userId: 'ben', locationId: 'loc-1' },
      { userId: 'evil', name: HOSTILE.name, locationId: 'loc-2' },
    ],
    count: 60,
    ...span,
    seed: 41,
  });
  for (const s of acme.filter((x) => x.session.userId === 'evil'))
    for (const p of s.pageviews)
      Object.assign(p, { title: HOSTILE.title, path: HOSTILE.path, url: `https://x.test${HOSTILE.path}` });
  const globex = buildSessions({
    agencyId: 'globex',
    users: [{ userId: 'ben', locationId: 'loc-1' }],
    count: 10,
    ...span,
    seed: 42,
  });
  await insertSessions(t, [...acme, ...globex]);
  boss = await tokenFor(t, 'boss');
});
afterAll(() => t?.stop());

const ids = (list: SeededSession[]) => list.sort(newestFirst).map((s) => s.session.id);

describe('activity scope', () => {
  it('a location user sees only their own sessions, whatever the cursor says', async () => {
    const ben = await tokenFor(t, 'ben', { locationId: 'loc-1' });
    const mine = acme.filter((s) => s.session.userId === 'ben');
    expect((await allSessions(t, ben, { ...range, limit: '4' })).items.map((i) => i.tabId)).toEqual(ids(mine));
    expect((await getJson(t, '/sessions', ben, { ...range, userId: 'ana' })).status).toBe(403);
    // A cursor from an agency-wide listing (or forged) only positions; it never widens the scope.
    const page = await getJson<SessionsPage>(t, '/sessions', boss, { ...range, limit: '3' });
    const cursor = page.body.nextCursor as string;
    const forged = Buffer.from(JSON.stringify([Date.parse(range.to), '\uffff'])).toString('base64url');
    for (const c of [cursor, forged]) {
      const res = await getJson<SessionsPage>(t, '/sessions', ben, { ...range, cursor: c, limit: '200' });
      expect(res.status).toBe(200);
      expect(res.body.items.every((i) => i.userId === 'ben')).toBe(true);
    }
    const globex = await tokenFor(t, 'boss', { agencyId: 'globex' });
    const theirs = await allSessions(t, globex, { ...range, cursor: forged });
    expect(theirs.items.length).toBe(10);
    expect(theirs.items.every((i) => !acme.some((s) => s.session.id === i.tabId))).toBe(true);
  });

  it('returns hostile names, titles and paths exactly, as JSON data', async () => {
    const res = await fetch(
      `${t.url}/api/v1/sessions?${new URLSearchParams({ ...range, userId: 'evil', limit: '1' })}`,
      {
        headers: { authorization: `Bearer ${boss}` },
      },
    );
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const page = (await res.json()) as SessionsPage;
    const item = page.items[0];
    expect(item).toMatchObject({ name: HOSTILE.name, entryPath: HOSTILE.path, exitPath: HOSTILE.path });
    const detail = await getJson<SessionDetail>(t, `/sessions/${encodeURIComponent(item?.id ?? '')}`, boss);
    expect(detail.body.session.name).toBe(HOSTILE.name);
    expect(detail.body.pageviews.every((p) => p.title === HOSTILE.title && p.path === HOSTILE.path)).toBe(true);
    const byPath = await allSessions(t, boss, { ...range, path: HOSTILE.path });
    expect(byPath.items.map((i) => i.tabId)).toEqual(ids(acme.filter((s) => s.session.userId === 'evil')));
  });
});
