import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '@activity-hub/protocol';
import { RetentionJob, retentionCutoff } from '../../../server/src/domain/retention-job.ts';
import { MongoJobStateStore } from '../../../server/src/storage/job-state-store.ts';
import { openStatsCollections } from '../../../server/src/storage/rollup-models.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { allSessions, buildSessions, insertSessions, type SeededSession } from './activity-fixtures.ts';
import { allPageviews, getJson, tokenFor } from './fixtures.ts';

/**
 * Retention with RETENTION_DAYS=30 over seeded data from 60 days ago to now: raw page views and
 * sessions older than the horizon go, the rollups stay, so History answers as before.
 */
let t: TestHub;
let seeded: SeededSession[];
let boss: string;
const DAY = 86_400_000;
const now = Date.now();
const range = { from: new Date(now - 70 * DAY).toISOString(), to: new Date(now + DAY).toISOString() };

beforeAll(async () => {
  t = await startHub({ RETENTION_DAYS: '30' });
  await t.hub.retention.tick(); // after the run every instance makes at start
  seeded = buildSessions({
    agencyId: 'acme',
    users: [
      { userId: 'ana', locationId: 'loc-1' },
      { userId: 'ben', locationId: 'loc-2' },
    ],
    count: 150,
    from: now - 60 * DAY,
    to: now - DAY,
    seed: 31,
  });
  await insertSessions(t, seeded);
  boss = await tokenFor(t, 'boss');
});
afterAll(() => t?.stop());

describe('retention', () => {
  it('deletes raw activity older than RETENTION_DAYS and keeps History whole', async () => {
    const summary = async () => (await getJson<Summary>(t, '/summary', boss, { ...range, granularity: 'week' })).body;
    const before = await summary(); // also rolls the seeded page views up
    const cutoff = retentionCutoff(Date.now(), 30);
    const old = seeded.filter((s) => s.session.startedAt.getTime() < cutoff);
    expect(old.length).toBeGreaterThan(20);
    expect(old.length).toBeLessThan(seeded.length - 20);

    const run = await t.hub.retention.tick();
    expect(run?.pageviews).toBe(old.flatMap((s) => s.pageviews).filter((p) => p.startedAt.getTime() < cutoff).length);
    expect(run?.sessions).toBe(old.length);

    const pvs = await allPageviews(t, boss, range);
    expect(pvs.every((p) => Date.parse(p.startedAt) >= cutoff)).toBe(true);
    expect(pvs.length).toBe(seeded.flatMap((s) => s.pageviews).filter((p) => p.startedAt.getTime() >= cutoff).length);
    const sessions = (await allSessions(t, boss, { ...range, limit: '200' })).items;
    expect(sessions.length).toBe(seeded.length - old.length);

    // A late write into a bucket beyond the horizon: the rollup job must keep that rollup, not
    // recompute it from the (now missing) raw page views.
    const stale = old[0]?.pageviews[0];
    if (!stale) throw new Error('no old page view');
    const late = { ...stale, _id: 'acme:late', id: 'late', engagedMs: 12_345, updatedAt: new Date() };
    await t.hub.db.models.pageviews.insertOne(late);
    expect(await summary()).toEqual(before);
    await t.hub.db.models.pageviews.deleteOne({ _id: 'acme:late' });
    expect(await summary()).toEqual(before);
    const users = (await getJson<{ items: { pageviews: number }[] }>(t, '/users', boss, range)).body.items;
    expect(users.reduce((n, u) => n + u.pageviews, 0)).toBe(before.totals.pageviews);

    // A repeat run finds nothing left to delete.
    expect((await t.hub.retention.tick())?.pageviews).toBe(0);
  });

  it('runs on one instance at a time: the lease holder purges, others skip until it lapses', async () => {
    const meta = (await openStatsCollections(t.hub.db.conn)).meta;
    let clock = Date.now();
    const runs: string[] = [];
    const job = (owner: string) =>
      new RetentionJob(new MongoJobStateStore(meta, () => clock), {
        owner,
        retentionDays: 30,
        intervalMs: 60_000,
        leaseMs: 60_000,
        clock: () => clock,
        purge: () => {
          runs.push(owner);
          return Promise.resolve({ pageviews: 0, sessions: 0 });
        },
        onRun: () => undefined,
        onError: (err) => {
          throw err;
        },
      });
    const [a, b, c] = [job('a'), job('b'), job('c')];
    // The hub's own job holds the lease from the first test: nobody else runs until it lapses.
    expect(await Promise.all([a.tick(), b.tick(), c.tick()])).toEqual([null, null, null]);
    clock += 10 * 60_000 * 60;
    const first = await Promise.all([a.tick(), b.tick(), c.tick()]);
    expect(first.filter((r) => r !== null)).toHaveLength(1);
    const holder = runs[0] as string;
    await Promise.all([a.tick(), b.tick(), c.tick()]);
    expect(runs).toEqual([holder, holder]);
    await { a, b, c }[holder as 'a' | 'b' | 'c'].stop();
    await Promise.all([a.tick(), b.tick(), c.tick()]);
    expect(runs).toHaveLength(3);
  });
});
