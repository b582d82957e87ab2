/**
 * Three hub processes behind one Redis and one database: live events cross instances, presence
 * reads the same everywhere, and a kill -9 of one instance loses no acknowledged event while
 * every page view it held is closed exactly once (by its leave, or by some instance's sweeper).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, PageviewItem, PresenceSnapshot } from '@activity-hub/protocol';
import { EventLedger } from '../../helpers/event-ledger.ts';
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

const AGENCY = 'ag-scale';
const users = {
  boss: { userId: 'boss', name: 'Boss', role: 'agency' as const, agencyId: AGENCY },
  ada: { userId: 'u-ada', name: 'Ada', role: 'location' as const, agencyId: AGENCY, locationId: 'loc-1' },
  bob: { userId: 'u-bob', name: 'Bob', role: 'location' as const, agencyId: AGENCY, locationId: 'loc-2' },
  cy: { userId: 'u-cy', name: 'Cy', role: 'location' as const, agencyId: AGENCY, locationId: 'loc-1' },
};
let db: DbProcess;
let redis: RedisServer;
let a: HubProcess, b: HubProcess, c: HubProcess;
let tokens: Record<keyof typeof users, string>;
let dash: LiveClient;
const closers: { close(): void }[] = [];
const keep = <T extends { close(): void }>(x: T): T => (closers.push(x), x);

beforeAll(async () => {
  [db, redis] = await Promise.all([startDbProcess(), RedisServer.start()]);
  [a, b, c] = await spawnHubs(['hub-a', 'hub-b', 'hub-c'], hubEnv(`${db.url}scale`, redis.url));
  const [boss, ada, bob, cy] = await Promise.all([
    devToken(a.url, users.boss),
    devToken(b.url, users.ada),
    devToken(c.url, users.bob),
    devToken(a.url, users.cy),
  ]);
  tokens = { boss: boss!, ada: ada!, bob: bob!, cy: cy! };
  dash = keep(await LiveClient.connect(c.url, tokens.boss));
}, 90_000);

afterAll(async () => {
  for (const x of closers) x.close();
  await Promise.all([a, b, c].filter(Boolean).map((h) => h.kill9()));
  await Promise.all([db?.stop(), redis?.stop()]);
});

async function pageviews(): Promise<PageviewItem[]> {
  const r = await apiGet<Page<PageviewItem>>(c.url, '/api/v1/pageviews?limit=500', tokens.boss);
  expect(r.status).toBe(200);
  return r.body.items;
}
const stored = async (id: string) => (await pageviews()).find((p) => p.id === id);
const sessions = (s: PresenceSnapshot) => s.entries.map((e) => e.sessionId).sort();
const closedTotal = async (hubs: HubProcess[], reason: string) => {
  let n = 0;
  for (const h of hubs) n += metricValue(await scrape(h.url), 'hub_pageviews_closed_total', { reason }) ?? 0;
  return n;
};

describe('three instances, one address', () => {
  it('fans live events from trackers on A out to a dashboard on C, and answers presence alike everywhere', async () => {
    const t1 = keep(await FakeTracker.connect(a.url, tokens.ada));
    const t2 = keep(await FakeTracker.connect(a.url, tokens.bob));
    const pv1 = t1.pageview('/contacts');
    const pv2 = t2.pageview('/reports');
    expect((await t1.send(pv1)).ok).toBe(true);
    expect((await t2.send(pv2)).ok).toBe(true);
    await dash.waitFor('upsert', (e) => e.sessionId === t1.tabId && e.pageviewId === pv1.id);
    await dash.waitFor('upsert', (e) => e.sessionId === t2.tabId && e.pageviewId === pv2.id);
    await dash.waitFor('feed', (f) => f.kind === 'online' && f.userId === 'u-ada');
    await dash.waitFor('feed', (f) => f.kind === 'pageview' && f.path === '/reports');
    expect((await t1.send(t1.heartbeat(pv1.id, 50, 'idle'))).ok).toBe(true);
    await dash.waitFor('feed', (f) => f.kind === 'state' && f.userId === 'u-ada' && f.state === 'idle');

    const want = [t1.tabId, t2.tabId].sort();
    for (const h of [a, b, c]) {
      const r = await apiGet<PresenceSnapshot>(h.url, '/api/v1/presence', tokens.boss);
      expect(r.status, h.name).toBe(200);
      expect(sessions(r.body), h.name).toEqual(want);
      // A location user sees only their own tab, whichever instance answers.
      const own = await apiGet<PresenceSnapshot>(h.url, '/api/v1/presence', tokens.ada);
      expect(sessions(own.body), h.name).toEqual([t1.tabId]);
    }
    // Leave cleanly, so the next test's sweep counts only its own page views.
    expect((await t1.send(t1.leave(pv1.id, 10))).ok).toBe(true);
    expect((await t2.send(t2.leave(pv2.id, 10))).ok).toBe(true);
    await dash.waitFor('remove', (r) => r.sessionId === t2.tabId);
  });

  it('survives kill -9 of A: its tabs continue on B, nothing acked is lost, each page view is closed once', async () => {
    const ledger = new EventLedger();
    // mover: keeps working on B. quiet: moves to B, then stays connected but silent (a hidden
    // tab) for longer than STALE_AFTER_MS. orphan: never comes back. Each is its own user: one
    // user's tabs together are credited at most the wall time passed in the quarter hour
    // (engaged-ledger.ts), and these claim more than that, so sharing a user would clip them
    // whenever the test began just after :00, :15, :30 or :45.
    const mover = await FakeTracker.connect(a.url, tokens.ada);
    const quiet = await FakeTracker.connect(a.url, tokens.bob);
    const orphan = await FakeTracker.connect(a.url, tokens.cy);
    const pvs = { mover: mover.pageview('/m'), quiet: quiet.pageview('/q'), orphan: orphan.pageview('/o') };
    expect(await ledger.send(mover, pvs.mover)).toBe(true);
    expect(await ledger.send(quiet, pvs.quiet)).toBe(true);
    expect(await ledger.send(orphan, pvs.orphan)).toBe(true);
    // A busy stretch on A: heartbeats in flight all the time, then the crash in the middle of it.
    for (let i = 0; i < 12; i++) {
      ledger.fire(mover, mover.heartbeat(pvs.mover.id, 100));
      ledger.fire(quiet, quiet.heartbeat(pvs.quiet.id, 100));
      ledger.fire(orphan, orphan.heartbeat(pvs.orphan.id, 100));
      await new Promise((r) => setTimeout(r, 120));
    }
    await a.kill9();
    orphan.close();
    await ledger.settle();
    expect(ledger.ackedMs(pvs.mover.id)).toBeGreaterThan(0);

    // The tabs come back on B and re-send what A never acked, like the tracker's outbox.
    const mover2 = keep(await mover.moveTo(b.url, tokens.ada));
    const quiet2 = keep(await quiet.moveTo(b.url, tokens.bob));
    await ledger.resend(mover2, mover.tabId);
    await ledger.resend(quiet2, quiet.tabId);
    expect(ledger.unacked(mover.tabId)).toEqual([]);
    expect(ledger.unacked(quiet.tabId)).toEqual([]);
    expect(await ledger.send(quiet2, quiet2.heartbeat(pvs.quiet.id, 100, 'hidden'))).toBe(true);
    const quietSince = Date.now();

    // The orphan is closed by B's or C's sweeper, once, with 'timeout' at its last evidence.
    const beat = setInterval(() => ledger.fire(mover2, mover2.heartbeat(pvs.mover.id, 100)), 300);
    try {
      const orphanRow = await eventually(
        async () => {
          const p = await stored(pvs.orphan.id);
          return p?.endedAt ? p : null;
        },
        25_000,
        250,
      );
      expect(orphanRow.endReason).toBe('timeout');
      expect(orphanRow.endedAt).toBe(orphanRow.lastSeenAt);
      // No acked heartbeat is lost; the ones A never acked may or may not have been stored.
      expect(orphanRow.engagedMs).toBeGreaterThanOrEqual(ledger.ackedMs(pvs.orphan.id));
      expect(orphanRow.engagedMs).toBeLessThanOrEqual(ledger.sentMs(pvs.orphan.id));
      await dash.waitFor('remove', (r) => r.sessionId === orphan.tabId, 5_000);

      // The quiet tab is connected to B: B keeps it alive although it sent nothing for longer than STALE_AFTER_MS.
      const staleMs = Number(b.env.STALE_AFTER_MS);
      await new Promise((r) => setTimeout(r, Math.max(0, quietSince + staleMs + 3_000 - Date.now())));
      expect((await stored(pvs.quiet.id))?.endedAt).toBeNull();
    } finally {
      clearInterval(beat);
    }
    await ledger.settle();

    expect(await ledger.send(mover2, mover2.leave(pvs.mover.id, 100))).toBe(true);
    expect(await ledger.send(quiet2, quiet2.leave(pvs.quiet.id, 0))).toBe(true);
    await dash.waitFor('remove', (r) => r.sessionId === mover.tabId);
    await dash.waitFor('remove', (r) => r.sessionId === quiet.tabId);

    const rows = await pageviews();
    for (const [name, pv] of Object.entries(pvs)) {
      expect(
        rows.filter((p) => p.id === pv.id),
        name,
      ).toHaveLength(1);
    }
    // Every heartbeat of the movers was acked (by A or, re-sent, by B) and is stored exactly once.
    const mv = rows.find((p) => p.id === pvs.mover.id)!;
    const qv = rows.find((p) => p.id === pvs.quiet.id)!;
    expect(mv.engagedMs).toBe(ledger.ackedMs(pvs.mover.id));
    expect(qv.engagedMs).toBe(ledger.ackedMs(pvs.quiet.id));
    expect([mv.endReason, qv.endReason]).toEqual(['leave', 'leave']);
    // Exactly one close by a sweeper in the whole cluster, and one offline per tab on the dashboard.
    expect(await closedTotal([b, c], 'timeout')).toBe(1);
    for (const tab of [mover, quiet, orphan]) {
      expect(
        dash.of('remove').filter((m) => m.body.sessionId === tab.tabId),
        tab.tabId,
      ).toHaveLength(1);
    }
    expect(dash.feed('offline').length).toBe(5);
    expect([...b.errors(), ...c.errors()]).toEqual([]);
  }, 60_000);
});
