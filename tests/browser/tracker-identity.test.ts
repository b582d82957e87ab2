/**
 * Blind spot "identify() to another user": the outbox may hold events of the previous user.
 * The tracker's choice: they are dropped on the switch, visibly (an `activityhub:dropped`
 * event on window, reason 'identity'), and never sent under the new user's token. The new
 * user gets a page view of their own.
 */
import { describe, expect, it } from 'vitest';
import { devToken, eventually, startHub } from '../helpers/hub.ts';
import { duplicateIds, sleep, storedPageviews, withoutNetworkErrors } from './tracker-harness.ts';
import { startVisit, useTrackerRig } from './tracker-rig.ts';

interface Dropped {
  reason: string;
  events: { id: string; type: string; path?: string }[];
}

describe('tracker → hub: identify() as another user with events queued', () => {
  const rig = useTrackerRig({ HEARTBEAT_INTERVAL_MS: '5000', IDLE_TIMEOUT_MS: '5000', FLUSH_INTERVAL_MS: '100' });

  it("drops the previous user's queued events visibly and credits none of them to the new user", async () => {
    let { hub } = rig;
    const { ids, page, problems } = await startVisit(rig, 'who');
    const userA = `${ids.agencyId}-user`;
    const userB = `${ids.agencyId}-other`;
    const tokenB = await devToken(hub.url, {
      userId: userB,
      role: 'location',
      agencyId: ids.agencyId,
      locationId: 'who-loc',
    });
    await page.evaluate(() => {
      const w = window as unknown as { __dropped: unknown[] };
      w.__dropped = [];
      addEventListener('activityhub:dropped', (e) => w.__dropped.push((e as CustomEvent).detail));
    });
    await eventually(async () => (await storedPageviews(hub, ids.agencyId)).length === 1, 8_000, 100);

    // The hub goes away; user A goes on navigating, so A's events wait in the outbox.
    await hub.stop();
    for (const path of ['/app/a1', '/app/a2']) {
      await page.evaluate((p) => history.pushState({}, '', p), path);
      await sleep(1_200);
    }
    await page.evaluate(() => window.activityHub!.flush());
    // The user signs out and user B signs in, still without a hub.
    await page.evaluate((t) => window.activityHub!.identify(t), tokenB);
    const dropped = await page.evaluate(() => (window as unknown as { __dropped: Dropped[] }).__dropped);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]!.reason).toBe('identity');
    const droppedIds = dropped[0]!.events.map((e) => e.id);
    // At least A's two page views made during the outage (and their leaves and heartbeats).
    expect(dropped[0]!.events.filter((e) => e.type === 'pageview').map((e) => e.path)).toEqual(['/app/a1', '/app/a2']);

    // Back on the same port and database.
    hub = rig.hub = await startHub({ ...hub.env, PORT: String(hub.port) });
    await eventually(
      async () => (await storedPageviews(hub, ids.agencyId)).some((d) => d.userId === userB),
      15_000,
      100,
    );
    await sleep(2_000);
    const docs = await storedPageviews(hub, ids.agencyId);
    // A: only the page view acked before the outage. B: one page view, where the tab is now.
    expect(docs.map((d) => [d.userId, d.path])).toEqual([
      [userA, '/app'],
      [userB, '/app/a2'],
    ]);
    // Neither as page views nor as credited events (however the hub keys those).
    const stored = [...docs.map((d) => d.id), ...duplicateIds(docs).all];
    expect(stored.filter((id) => droppedIds.includes(id))).toEqual([]);
    expect(withoutNetworkErrors(problems)).toEqual([]);
  });
});
