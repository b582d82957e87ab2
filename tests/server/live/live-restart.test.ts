/**
 * A single hub (in-memory presence) restarts: open page views continue on the new process,
 * and their tabs come back into presence with the next heartbeat instead of staying invisible
 * until the user navigates.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { restartHub, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { agencyCast, LiveClient, uniqueAgency } from './live-client.ts';

let t: TestHub | undefined;
const open: { close(): void }[] = [];
const track = <T extends { close(): void }>(x: T): T => (open.push(x), x);

afterAll(async () => {
  for (const x of open) x.close();
  await t?.stop();
});

describe('/live after a hub restart', () => {
  it('restores presence of a continuing page view on its next heartbeat', async () => {
    t = await startHub({ FLUSH_INTERVAL_MS: '50' });
    const cast = await agencyCast(t.url, uniqueAgency());
    const ada = track(await FakeTracker.connect(t.url, cast.adaToken));
    const pv = ada.pageview('/before', { title: 'Before' });
    expect((await ada.send(pv)).ok).toBe(true);
    expect((await ada.send(ada.heartbeat(pv.id, 100))).ok).toBe(true);
    const before = (await LiveClient.connect(t.url, cast.bossToken)).snapshot.entries;
    expect(before.map((e) => e.path)).toEqual(['/before']);

    t = await restartHub(t);
    // The hub said goodbye; the tracker reconnects (as the real tracker does) and continues.
    ada.socket.connect();
    await new Promise<void>((r) => (ada.socket.connected ? r() : ada.socket.once('connect', () => r())));
    const live = track(await LiveClient.connect(t.url, cast.bossToken));
    expect((await ada.send(ada.heartbeat(pv.id, 100))).ok).toBe(true);
    const back = await live.waitFor('upsert', (e) => e.pageviewId === pv.id);
    expect(back.body).toMatchObject({
      sessionId: ada.tabId,
      userId: 'u-ada',
      name: 'Ada Lovelace',
      locationId: 'loc-north',
      path: '/before',
      title: 'Before',
      state: 'active',
    });
    expect(back.body.pageSince).toBe(before[0]!.pageSince);
    expect(back.body.engagedMs).toBeGreaterThanOrEqual(before[0]!.engagedMs);
    expect((await live.sync()).entries.map((e) => e.sessionId)).toEqual([ada.tabId]);

    // And it leaves as usual.
    expect((await ada.send(ada.leave(pv.id, 0, 'unload'))).ok).toBe(true);
    await live.waitFor('remove', (r) => r.sessionId === ada.tabId);
  });

  it('after a restart, a tab that disconnects for good still goes offline after the grace time', async () => {
    await t?.stop();
    t = await startHub({ FLUSH_INTERVAL_MS: '50', DISCONNECT_GRACE_MS: '300' });
    const cast = await agencyCast(t.url, uniqueAgency());
    const bob = track(await FakeTracker.connect(t.url, cast.bobToken));
    const pv = bob.pageview('/bob');
    expect((await bob.send(pv)).ok).toBe(true);
    t = await restartHub(t);
    bob.socket.connect();
    await new Promise<void>((r) => (bob.socket.connected ? r() : bob.socket.once('connect', () => r())));
    const live = track(await LiveClient.connect(t.url, cast.bossToken));
    expect((await bob.send(bob.heartbeat(pv.id, 50, 'hidden'))).ok).toBe(true);
    await live.waitFor('upsert', (e) => e.pageviewId === pv.id && e.state === 'hidden');
    bob.close();
    await live.waitFor('remove', (r) => r.sessionId === bob.tabId, 5_000);
    await live.waitFor('feed', (f) => f.kind === 'offline' && f.userId === 'u-bob');
  });
});
