/**
 * A navigation reaches the dashboard without waiting for the database. A new page view id has to
 * be looked up (a re-send may have been stored already), and that round trip queues behind
 * every other database call; the live view must not. Shown with a real hung database: the
 * process is stopped with SIGSTOP, so the lookup cannot answer until the driver gives up, and
 * the dashboard must have the new page long before the tracker hears `unavailable`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '@activity-hub/protocol';
import { devToken, eventually } from '../../helpers/hub.ts';
import {
  hubEnv,
  spawnHub,
  startOwnedDbProcess,
  waitReady,
  type HubProcess,
  type OwnedDbProcess,
} from '../../helpers/hub-process.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { LiveClient, uniqueAgency } from './live-client.ts';

let db: OwnedDbProcess;
let hub: HubProcess;

beforeAll(async () => {
  db = await startOwnedDbProcess();
  hub = await spawnHub('live-before-lookup', hubEnv(`${db.url}live_before_lookup`, null));
}, 60_000);

afterAll(async () => {
  db?.resume();
  await hub?.terminate();
  await db?.stop();
});

describe('navigation → dashboard', () => {
  it('shows a navigation of a followed tab at once, while its lookup waits on a hung database', async () => {
    const agencyId = uniqueAgency();
    const user = { userId: 'u-nav', name: 'Nav User', role: 'location' as const, agencyId, locationId: 'loc-1' };
    const boss = { userId: 'boss', name: 'Boss', role: 'agency' as const, agencyId };
    const [userToken, bossToken] = await Promise.all([devToken(hub.url, user), devToken(hub.url, boss)]);
    const live = await LiveClient.connect(hub.url, bossToken!);
    const tracker = await FakeTracker.connect(hub.url, userToken!);
    try {
      const first = tracker.pageview('/first');
      expect(await tracker.send(first)).toEqual({ ok: true });
      await live.waitFor('upsert', (e) => e.pageviewId === first.id);

      db.pause();
      const started = Date.now();
      const next = tracker.pageview('/next');
      let ackedAt = 0;
      const ack = tracker.send(next, 30_000).then((a: Ack) => ((ackedAt = Date.now()), a));
      ack.catch(() => {}); // awaited below; a failed check above must not leave it unhandled
      const shown = await live.waitFor('upsert', (e) => e.pageviewId === next.id, 1_000);
      expect(shown.body).toMatchObject({ path: '/next', userId: 'u-nav', sessionId: tracker.tabId });
      expect(shown.t - started).toBeLessThan(1_000);

      // The event itself is still refused until the database answers: nothing is acked unstored.
      const answer = await ack;
      expect(answer).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(ackedAt).toBeGreaterThan(shown.t);
      // Shown once: the refusal does not publish the same page view again.
      expect(live.upserts(tracker.tabId).filter((e) => e.pageviewId === next.id)).toHaveLength(1);
    } finally {
      db.resume();
      tracker.close();
      live.close();
    }
  }, 60_000);

  it("takes back a page view shown early that turns out to be someone else's id", async () => {
    await waitReady(hub.url); // the database is back from the test above
    const agencyId = uniqueAgency();
    const mallory = { userId: 'u-mal', name: 'Mallory', role: 'location' as const, agencyId, locationId: 'loc-1' };
    const alice = { userId: 'u-alice', name: 'Alice', role: 'location' as const, agencyId, locationId: 'loc-1' };
    const boss = { userId: 'boss', name: 'Boss', role: 'agency' as const, agencyId };
    const [malToken, aliceToken, bossToken] = await Promise.all(
      [mallory, alice, boss].map((u) => devToken(hub.url, u, u.role === 'agency' ? {} : { scope: 'track' })),
    );
    const live = await LiveClient.connect(hub.url, bossToken!);
    const mal = await FakeTracker.connect(hub.url, malToken!);
    const victim = await FakeTracker.connect(hub.url, aliceToken!);
    try {
      const theirs = victim.pageview('/alice');
      expect(await victim.send(theirs)).toEqual({ ok: true });
      const own = mal.pageview('/mine');
      expect(await mal.send(own)).toEqual({ ok: true });
      await live.waitFor('upsert', (e) => e.pageviewId === own.id);
      // A newer event of a followed tab that reuses Alice's page view id: shown early, then refused.
      const stolen = mal.pageview('/fake', { id: theirs.id });
      expect(await mal.send(stolen)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      await eventually(() => {
        const last = live.upserts(mal.tabId).at(-1);
        return last?.pageviewId === own.id && last.path === '/mine';
      }, 3_000);
      const snapshot = await live.sync();
      const entry = snapshot.entries.find((x) => x.sessionId === mal.tabId);
      expect(entry).toMatchObject({ pageviewId: own.id, path: '/mine', userId: 'u-mal' });
      // Alice's own entry is untouched.
      expect(snapshot.entries.find((x) => x.sessionId === victim.tabId)).toMatchObject({ path: '/alice' });
    } finally {
      mal.close();
      victim.close();
      live.close();
    }
  }, 60_000);
});
