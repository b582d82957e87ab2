/**
 * Tenant isolation on every REST route, for every caller and every filter permutation: claims
 * decide the scope (an agency user: their agency; a location user: their own `sub`), filters
 * only narrow it, and parameters that name another agency or role are ignored. Each answer is
 * reduced to the seeded people whose markers (in names, paths and titles) it contains.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Heatmap, Summary } from '@activity-hub/protocol';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import {
  closeCast,
  expectCleanError,
  expectNoInternals,
  markersIn,
  scopeOf,
  seedCast,
  type Cast,
  type Person,
} from './tenants.ts';

let t: TestHub;
let cast: Cast;

beforeAll(async () => {
  // Thousands of requests per caller's token: lift the per-token REST budget here (it has its
  // own tests in tests/server/limits) so a refusal cannot hide or fake a scope answer.
  t = await startHub({
    FLUSH_INTERVAL_MS: '50',
    RATE_LIMITS: JSON.stringify({ rest: { perSecond: 10_000, burst: 100_000 } }),
  });
  cast = await seedCast(t);
});
afterAll(async () => {
  closeCast(cast);
  await t?.stop();
});

const DAY = 86_400_000;
/** Routes that take the history filters, and the plain ones that take none (and must ignore any). */
const FILTERED = ['/pageviews', '/summary', '/top-pages', '/users', '/export.csv', '/sessions', '/heatmap'] as const;
const PLAIN = ['/me', '/presence', '/directory'] as const;

/** Every filter permutation: none, each user id, each location, each pair, plus widening attempts. */
function permutations(c: Cast): Record<string, string>[] {
  const A = c.bossA.agencyId;
  const out: Record<string, string>[] = [{}];
  for (const u of ['boss', 'u-ada', 'u-cat', 'u-bob', 'u-eve', 'nobody']) out.push({ userId: u });
  for (const l of ['loc-north', 'loc-south', 'loc-east']) out.push({ locationId: l });
  const pairs = [
    ['u-ada', 'loc-north'],
    ['u-ada', 'loc-south'],
    ['u-cat', 'loc-north'],
    ['u-bob', 'loc-south'],
    ['boss', 'loc-north'],
    ['u-eve', 'loc-east'],
  ];
  for (const [userId, locationId] of pairs) out.push({ userId: userId!, locationId: locationId! });
  out.push(
    { agencyId: A },
    { agencyId: A, role: 'agency' },
    { agencyId: A, userId: 'u-ada', locationId: 'loc-north' },
    { sub: 'u-ada', agency: A, scope: 'all' },
  );
  // Operator-shaped keys (NoSQL injection attempts) are plain unknown names: ignored, never widening.
  out.push(
    { 'userId[$ne]': 'nobody' },
    { 'agencyId[$ne]': 'x', 'locationId[$exists]': 'true' },
    { 'path[$regex]': '.*' },
  );
  return out;
}

/** Plain routes take no filters: a few hostile ones are enough to show they are ignored. */
const plainPermutations = (c: Cast): Record<string, string>[] => [
  {},
  { userId: 'u-cat', agencyId: c.bossA.agencyId, role: 'agency' },
  { agencyId: c.bossA.agencyId, userId: 'u-ada', locationId: 'loc-north' },
];

/** What the caller should see: their scope narrowed by the filters, or 403 for a location user naming someone else. */
function expected(caller: Person, q: Record<string, string>, filtered: boolean): { status: number; keys: string[] } {
  if (!filtered)
    return {
      status: 200,
      keys: scopeOf(cast, caller)
        .map((p) => p.key)
        .sort(),
    };
  if (caller.role === 'location' && q.userId && q.userId !== caller.userId) return { status: 403, keys: [] };
  const keys = scopeOf(cast, caller)
    .filter((p) => (!q.userId || p.userId === q.userId) && (!q.locationId || p.locationId === q.locationId))
    .map((p) => p.key)
    .sort();
  return { status: 200, keys };
}

/** One request, reduced to status and the people it shows. */
async function see(
  caller: Person,
  route: string,
  q: Record<string, string>,
): Promise<{ status: number; keys: string[]; body: string }> {
  const now = Date.now();
  const range: Record<string, string> =
    route === '/summary' || route === '/heatmap'
      ? { from: new Date(now - DAY).toISOString(), to: new Date(now + DAY).toISOString() }
      : {};
  const qs = new URLSearchParams({ ...q, ...range }).toString();
  const res = await fetch(`${t.url}/api/v1${route}${qs ? `?${qs}` : ''}`, {
    headers: { authorization: `Bearer ${caller.token}` },
  });
  const body = await res.text();
  if (res.status !== 200) return { status: res.status, keys: [], body };
  if (route === '/summary') {
    // Counts only: every seeded person made exactly two page views.
    const s = JSON.parse(body) as Summary;
    const inScope = scopeOf(cast, caller)
      .filter((p) => matches(p, q))
      .map((p) => p.key)
      .sort();
    const exact = s.totals.users === inScope.length && s.totals.pageviews === 2 * inScope.length;
    return {
      status: 200,
      keys: exact ? inScope : [`users=${s.totals.users}`, `pageviews=${s.totals.pageviews}`],
      body,
    };
  }
  if (route === '/heatmap') {
    // Counts only, like the summary: the cells add up to exactly the scope's page views.
    const n = (JSON.parse(body) as Heatmap).cells.reduce((sum, c) => sum + c.pageviews, 0);
    const inScope = scopeOf(cast, caller)
      .filter((p) => matches(p, q))
      .map((p) => p.key)
      .sort();
    return { status: 200, keys: n === 2 * inScope.length ? inScope : [`pageviews=${n}`], body };
  }
  if (route === '/me')
    return {
      status: 200,
      keys: scopeOf(cast, caller)
        .map((p) => p.key)
        .sort(),
      body,
    };
  return { status: 200, keys: markersIn(cast, body), body };
}

const matches = (p: Person, q: Record<string, string>) =>
  (!q.userId || p.userId === q.userId) && (!q.locationId || p.locationId === q.locationId);

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await fn(x);
    }),
  );
}

describe('REST isolation on every route', () => {
  // Callers: each role on each side (Bob and Eve are like Cat and B's Ada; they stay in the data).
  it.each(['bossA', 'ada', 'cat', 'bossB', 'adaB'] as const)(
    '%s sees exactly their scope, whatever the filters',
    async (who) => {
      const caller = cast[who];
      const failures: string[] = [];
      const jobs = [
        ...FILTERED.flatMap((route) => permutations(cast).map((q) => ({ route, q }))),
        ...PLAIN.flatMap((route) => plainPermutations(cast).map((q) => ({ route, q }))),
      ];
      await pool(jobs, 6, async ({ route, q }) => {
        const filtered = (FILTERED as readonly string[]).includes(route);
        const want = expected(caller, q, filtered);
        const got = await see(caller, route, q);
        if (got.status !== 200) expectCleanError(JSON.parse(got.body), got.status === 403 ? 'forbidden' : undefined);
        if (got.status !== want.status || got.keys.join() !== want.keys.join()) {
          failures.push(
            `${route}?${new URLSearchParams(q)}: got ${got.status} [${got.keys}] want ${want.status} [${want.keys}]`,
          );
        }
      });
      expect(failures).toEqual([]);
    },
  );

  it('the summary counts exactly the scope (no foreign page views hiding in totals)', async () => {
    // An agency user's whole agency, and a location user's own two page views.
    for (const [caller, n] of [
      [cast.bossA, 4],
      [cast.ada, 1],
      [cast.bossB, 3],
      [cast.adaB, 1],
    ] as const) {
      const s = await see(caller, '/summary', {});
      expect(JSON.parse(s.body).totals).toMatchObject({ users: n, pageviews: 2 * n });
    }
    // Agency B naming A's user and location sees B's namesake only (ids are per agency).
    const named = await see(cast.bossB, '/summary', { userId: 'u-ada', locationId: 'loc-north' });
    expect(JSON.parse(named.body).totals).toMatchObject({ users: 1, pageviews: 2 });
  });

  it('/me and /auth/refresh keep the token identity, whatever the query', async () => {
    for (const p of Object.values(cast)) {
      const me = await fetch(`${t.url}/api/v1/me?userId=boss&agencyId=${cast.bossA.agencyId}&role=agency`, {
        headers: { authorization: `Bearer ${p.token}` },
      });
      expect(await me.json()).toMatchObject({
        userId: p.userId,
        agencyId: p.agencyId,
        role: p.role,
        locationId: p.locationId,
      });
      const body = JSON.stringify({ userId: 'boss', agencyId: cast.bossA.agencyId, role: 'agency' });
      const refresh = await fetch(`${t.url}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
        body,
      });
      expect(refresh.status).toBe(200);
      expect(((await refresh.json()) as { user: unknown }).user).toMatchObject({
        userId: p.userId,
        agencyId: p.agencyId,
        role: p.role,
      });
    }
  });

  it('a cursor made by agency A pages nothing of A for agency B', async () => {
    const first = await fetch(`${t.url}/api/v1/pageviews?limit=1`, {
      headers: { authorization: `Bearer ${cast.bossA.token}` },
    });
    const { nextCursor } = (await first.json()) as { nextCursor: string };
    expect(nextCursor).toBeTruthy();
    for (const p of [cast.bossB, cast.adaB, cast.cat]) {
      const r = await see(p, '/pageviews', { cursor: nextCursor, limit: '500' });
      expect(r.keys.every((k) => scopeOf(cast, p).some((s) => s.key === k))).toBe(true);
    }
  });

  it('public routes show nothing of any tenant', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/v1/auth/config', '/api/v1/openapi.json']) {
      const res = await fetch(`${t.url}${path}`);
      const text = await res.text();
      expect(res.status, path).toBe(200);
      expect(markersIn(cast, text), path).toEqual([]);
      expect(text, path).not.toContain(cast.bossA.agencyId);
      expect(text, path).not.toContain(cast.bossB.agencyId);
    }
  });

  it('unknown routes and methods answer a generic 404 without internals', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/pageviews/x'],
      ['DELETE', '/api/v1/pageviews'],
      ['GET', '/api/v1/agencies'],
      ['PUT', '/api/v1/me'],
    ] as const) {
      const res = await fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${cast.bossA.token}` } });
      const text = await res.text();
      expect(res.status).toBe(404);
      expectNoInternals(text);
    }
  });
});
