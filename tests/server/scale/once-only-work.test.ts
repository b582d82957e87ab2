/**
 * Work that must happen once, with three instances running it at the same time: every
 * instance's sweeper races to close the page views of tabs that vanished, and each page view is
 * closed exactly once (one `remove` and one `offline` per tab on a dashboard); the rollup job's
 * lease has one holder at a time and the statistics it keeps are exact.
 */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, PageviewItem, Summary } from '@activity-hub/protocol';
import { apiGet, devToken, eventually } from '../../helpers/hub.ts';
import {
  hubEnv,
  metricValue,
  scrape,
  spawnHubs,
  startDbProcess,
  type DbProcess,
  type HubProcess,
} from '../../helpers/hub-process.ts';
import { RedisServer } from '../../helpers/redis-server.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { LiveClient } from '../live/live-client.ts';

const AGENCY = 'ag-once';
const TABS = 30;
const DB_NAME = 'once_only';
let db: DbProcess;
let redis: RedisServer;
let hubs: HubProcess[];
let boss: string;
let mongo: MongoClient;

beforeAll(async () => {
  [db, redis] = await Promise.all([startDbProcess(), RedisServer.start()]);
  // A disconnect grace far longer than the test: only the sweepers close anything here. The
  // rollup job runs every second, so that it has many chances to touch the open page views.
  hubs = await spawnHubs(
    ['hub-a', 'hub-b', 'hub-c'],
    hubEnv(`${db.url}${DB_NAME}`, redis.url, { DISCONNECT_GRACE_MS: '600000', ROLLUP_INTERVAL_MS: '1000' }),
  );
  boss = await devToken(hubs[0]!.url, { userId: 'boss', role: 'agency', agencyId: AGENCY });
  mongo = await new MongoClient(db.url, { directConnection: true }).connect();
}, 90_000);

afterAll(async () => {
  await mongo?.close();
  await Promise.all((hubs ?? []).map((h) => h.kill9()));
  await Promise.all([db?.stop(), redis?.stop()]);
});

const rollupLease = async () => {
  const doc = await mongo
    .db(DB_NAME)
    .collection<{ _id: string; owner: string | null; leaseUntil: Date }>('meta')
    .findOne({ _id: 'rollups' });
  return doc?.owner ?? null;
};

/** The agency's 15-minute rollups as stored, added up. */
const rolledUp = async () => {
  const docs = await mongo
    .db(DB_NAME)
    .collection<{ pageviews: number; engagedMs: number }>('rollups')
    .find({ agencyId: AGENCY })
    .toArray();
  return {
    pageviews: docs.reduce((a, d) => a + d.pageviews, 0),
    engagedMs: docs.reduce((a, d) => a + d.engagedMs, 0),
  };
};

describe('once-only work with three instances', () => {
  it("closes each vanished tab's page view exactly once while three sweepers race", async () => {
    const dash = await LiveClient.connect(hubs[1]!.url, boss);
    const tokens = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        devToken(hubs[0]!.url, { userId: `u-${i}`, role: 'location', agencyId: AGENCY, locationId: `loc-${i % 2}` }),
      ),
    );
    // TABS tabs spread over the three instances: a page view and an acked heartbeat, then gone.
    const tabs = await Promise.all(
      Array.from({ length: TABS }, async (_, i) => {
        const tr = await FakeTracker.connect(hubs[i % 3]!.url, tokens[i % tokens.length]!);
        const pv = tr.pageview(`/p/${i}`);
        expect((await tr.send(pv)).ok).toBe(true);
        expect((await tr.send(tr.heartbeat(pv.id, 50))).ok).toBe(true);
        tr.close();
        return { tabId: tr.tabId, pvId: pv.id };
      }),
    );
    await eventually(() => tabs.every((t) => dash.upserts(t.tabId).length > 0), 5_000);
    const lease = await eventually(rollupLease, 10_000);
    expect(hubs.map((h) => h.name)).toContain(lease.split(':')[0]);
    // Periodic rollup runs leave open page views to their close (nothing has read statistics yet).
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await rolledUp()).toEqual({ pageviews: 0, engagedMs: 0 });

    const closed = await eventually(
      async () => {
        const r = await apiGet<Page<PageviewItem>>(hubs[2]!.url, '/api/v1/pageviews?limit=500', boss);
        const mine = r.body.items.filter((p) => tabs.some((t) => t.pvId === p.id));
        return mine.length === TABS && mine.every((p) => p.endedAt) ? mine : null;
      },
      30_000,
      250,
    );
    for (const p of closed) {
      expect(p.endReason).toBe('timeout');
      expect(p.endedAt).toBe(p.lastSeenAt);
      expect(p.engagedMs).toBe(50);
    }
    // A sweeper's close stamps the page view as changed, so a periodic run, not only a read's
    // catch-up, rolls it up.
    await eventually(
      async () => JSON.stringify(await rolledUp()) === JSON.stringify({ pageviews: TABS, engagedMs: TABS * 50 }),
      10_000,
      250,
    );
    // Let every sweeper run a few more times over the closed page views.
    await new Promise((r) => setTimeout(r, 2_500));
    const perInstance = await Promise.all(
      hubs.map(async (h) => metricValue(await scrape(h.url), 'hub_pageviews_closed_total', { reason: 'timeout' }) ?? 0),
    );
    expect(perInstance.reduce((a, b) => a + b, 0)).toBe(TABS);
    for (const t of tabs) {
      expect(
        dash.of('remove').filter((m) => m.body.sessionId === t.tabId),
        t.tabId,
      ).toHaveLength(1);
    }
    expect(dash.feed('offline')).toHaveLength(TABS);
    expect(new Set(dash.feed('offline').map((f) => `${f.userId}:${f.path}`)).size).toBe(TABS);

    // The rollup lease stayed with one instance the whole time, and the statistics are exact.
    expect(await rollupLease()).toBe(lease);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    for (const h of hubs) {
      const s = await apiGet<Summary>(h.url, `/api/v1/summary?from=${from}&to=${to}`, boss);
      expect(s.status, h.name).toBe(200);
      expect(s.body.totals, h.name).toMatchObject({ pageviews: TABS, engagedMs: TABS * 50, users: 5 });
    }
    expect(hubs.flatMap((h) => h.errors())).toEqual([]);
    dash.close();
  }, 60_000);
});
