import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RATE_BUDGETS,
  type Erasure,
  type Heatmap,
  type PresenceSnapshot,
  type Summary,
  type TopPage,
  type UserStats,
} from '@activity-hub/protocol';
import { eraseUserActivity, type ErasureDeps } from '../../../server/src/domain/erasure.ts';
import type { Claims } from '../../../server/src/domain/identity.ts';
import { createLogger } from '../../../server/src/logger.ts';
import { MemoryRateLimiter } from '../../../server/src/storage/memory-rate-limiter.ts';
import { devToken, eventually, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { allSessions, buildSessions, insertSessions, type SeededSession } from './activity-fixtures.ts';
import { allPageviews, getJson, tokenFor } from './fixtures.ts';

/**
 * Erasure of one user: afterwards no history answer counts them, everyone else's figures are
 * unchanged; only agency users may erase, and only in their own agency; an audit line is logged.
 */
let t: TestHub;
let acme: SeededSession[];
let globex: SeededSession[];
let boss: string;
const logs: Record<string, unknown>[] = [];
const range = { from: '2026-10-01T00:00:00Z', to: '2026-10-08T00:00:00Z' };
const USERS = [
  { userId: 'ana', locationId: 'loc-1' },
  { userId: 'ben', locationId: 'loc-1' },
  { userId: 'cy', locationId: 'loc-2' },
];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as never);
      done();
    },
  });
  t = await startHub({ LOG_LEVEL: 'info' }, { log: createLogger('info', {}, sink) });
  const span = { from: Date.parse(range.from), to: Date.parse(range.to) };
  acme = buildSessions({ agencyId: 'acme', users: USERS, count: 90, ...span, seed: 21 });
  globex = buildSessions({ agencyId: 'globex', users: USERS, count: 30, ...span, seed: 22 });
  await insertSessions(t, [...acme, ...globex]);
  boss = await tokenFor(t, 'boss');
});
afterAll(() => t?.stop());

/** Every answer that could count a user, as one comparable object per user. */
async function figures(token: string) {
  const summary = (await getJson<Summary>(t, '/summary', token, range)).body;
  const heat = (await getJson<Heatmap>(t, '/heatmap', token, range)).body;
  const users = (await getJson<{ items: UserStats[] }>(t, '/users', token, range)).body.items;
  const pages = (await getJson<{ items: TopPage[] }>(t, '/top-pages', token, range)).body.items;
  const pvs = await allPageviews(t, token, range);
  const sessions = (await allSessions(t, token, { ...range, limit: '200' })).items;
  const csv = await (
    await fetch(`${t.url}/api/v1/export.csv?${new URLSearchParams(range)}`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).text();
  return { summary, heat, users, pages, pvs, sessions, csv };
}
const ofUser = (s: SeededSession[], userId: string) => s.filter((x) => x.session.userId === userId);

describe('DELETE /users/:userId/activity', () => {
  it('is refused to location users, even for themselves', async () => {
    const ana = await tokenFor(t, 'ana', { locationId: 'loc-1' });
    for (const who of ['ben', 'ana']) {
      const res = await fetch(`${t.url}/api/v1/users/${who}/activity`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ana}` },
      });
      expect(res.status).toBe(403);
    }
    expect(await t.hub.db.models.pageviews.countDocuments({ agencyId: 'acme' })).toBe(
      acme.flatMap((s) => s.pageviews).length,
    );
  });

  it("erases one user everywhere, leaves everyone else, and only in the caller's agency", async () => {
    const before = await figures(boss);
    const anaPv = ofUser(acme, 'ana').flatMap((s) => s.pageviews);
    expect(anaPv.length).toBeGreaterThan(10);
    // Ana is online now, too.
    const tracker = await FakeTracker.connect(
      t.url,
      await devToken(t.url, { userId: 'ana', role: 'location', agencyId: 'acme', locationId: 'loc-1' }),
    );
    expect((await tracker.send(tracker.pageview('/online-now'))).ok).toBe(true);
    await eventually(async () => (await getJson<PresenceSnapshot>(t, '/presence', boss)).body.entries.length === 1);
    tracker.close();

    const res = await fetch(`${t.url}/api/v1/users/ana/activity`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${boss}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Erasure;
    // The live page view was written too, with its session.
    expect(body).toEqual({ deleted: { pageviews: anaPv.length + 1, sessions: ofUser(acme, 'ana').length + 1 } });
    expect((await getJson<PresenceSnapshot>(t, '/presence', boss)).body.entries).toEqual([]);

    const after = await figures(boss);
    expect(after.pvs.filter((p) => p.userId === 'ana')).toEqual([]);
    expect(after.pvs).toEqual(before.pvs.filter((p) => p.userId !== 'ana'));
    expect(after.sessions).toEqual(before.sessions.filter((s) => s.userId !== 'ana'));
    expect(after.users).toEqual(before.users.filter((u) => u.userId !== 'ana'));
    const anaMs = anaPv.reduce((n, p) => n + p.engagedMs, 0);
    expect(after.summary.totals).toEqual({
      pageviews: before.summary.totals.pageviews - anaPv.length,
      engagedMs: before.summary.totals.engagedMs - anaMs,
      users: before.summary.totals.users - 1,
    });
    expect(after.heat.totals).toEqual({
      pageviews: after.summary.totals.pageviews,
      engagedMs: after.summary.totals.engagedMs,
    });
    const others = acme.filter((s) => s.session.userId !== 'ana').flatMap((s) => s.pageviews);
    const byPath = new Map<string, number>();
    for (const p of others) byPath.set(p.path, (byPath.get(p.path) ?? 0) + 1);
    expect(new Map(after.pages.map((p) => [p.path, p.pageviews]))).toEqual(byPath);
    for (const p of anaPv) expect(after.csv).not.toContain(p.id);
    for (const p of others) expect(after.csv).toContain(p.id);

    // Globex's "ana" is another person: untouched by acme's erasure, erased only by globex.
    expect(await t.hub.db.models.pageviews.countDocuments({ agencyId: 'globex', userId: 'ana' })).toBe(
      ofUser(globex, 'ana').flatMap((s) => s.pageviews).length,
    );
    const gBoss = await tokenFor(t, 'boss', { agencyId: 'globex' });
    const g = await fetch(`${t.url}/api/v1/users/ben/activity`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${gBoss}` },
    });
    expect(((await g.json()) as Erasure).deleted.sessions).toBe(ofUser(globex, 'ben').length);
    expect((await allSessions(t, boss, { ...range, userId: 'ben' })).items.length).toBe(ofUser(acme, 'ben').length);

    const audit = logs.find((l) => l.event === 'activity_erased' && l.userId === 'ana');
    expect(audit).toMatchObject({ by: 'boss', byAgencyId: 'acme', userId: 'ana', pageviews: anaPv.length + 1 });

    // A second erasure finds nothing left.
    const again = await fetch(`${t.url}/api/v1/users/ana/activity`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${boss}` },
    });
    expect(await again.json()).toEqual({ deleted: { pageviews: 0, sessions: 0 } });
  });

  it('keeps to a budget per agency user: the burst is answered, the rest refused with a wait, others unaffected', async () => {
    const { burst } = RATE_BUDGETS.erase;
    const erase = (token: string) =>
      fetch(`${t.url}/api/v1/users/nobody/activity`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
    const eager = await tokenFor(t, 'eager-boss');
    const statuses = [];
    for (let i = 0; i < burst + 3; i++) statuses.push((await erase(eager)).status);
    // The budget refills at 0.2/s, so a slow CI machine may have earned one more by the end.
    expect(statuses.slice(0, burst)).toEqual(Array<number>(burst).fill(200));
    expect(statuses.slice(burst).filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    const refused = await erase(eager);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Per user, not per agency: another agency user of acme still erases.
    expect((await erase(await tokenFor(t, 'calm-boss'))).status).toBe(200);
    // A location user is refused for what they are, every time, and spends nothing.
    const loc = await tokenFor(t, 'loc-user', { locationId: 'loc-1' });
    for (let i = 0; i < burst + 2; i++) expect((await erase(loc)).status).toBe(403);
  });

  it('waits for the rollup runs only when it deleted something, and only for its own agency', async () => {
    const settled: string[] = [];
    const erasedRollups: string[] = [];
    const deps = (pageviews: number): ErasureDeps => ({
      erase: () => Promise.resolve({ pageviews, sessions: pageviews }),
      eraseRollups: (a, u) => (erasedRollups.push(`${a}/${u}`), Promise.resolve()),
      settle: (a) => (settled.push(a), Promise.resolve()),
      limiter: new MemoryRateLimiter(RATE_BUDGETS, { sweepMs: 0 }),
      presence: { list: () => Promise.resolve([]) },
      offline: () => Promise.resolve(),
      audit: () => {},
      clock: Date.now,
    });
    const claims: Claims = {
      sub: 'boss',
      role: 'agency',
      agencyId: 'acme',
      locationId: null,
      name: 'Boss',
      email: 'boss@example.test',
      scope: 'read',
      exp: Math.floor(Date.now() / 1000) + 3600,
    };
    await eraseUserActivity(deps(0), claims, 'nobody');
    expect(settled).toEqual([]);
    await eraseUserActivity(deps(3), claims, 'ana');
    expect(settled).toEqual(['acme']);
    expect(erasedRollups).toEqual(['acme/ana']);
  });
});
