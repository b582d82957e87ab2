/**
 * Two hubs sharing Redis and the database: a dashboard on hub B sees a tracker on hub A, in
 * its snapshot and live, and in scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { PresenceSnapshot } from '@activity-hub/protocol';
import { apiGet, devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { agencyCast, LiveClient, uniqueAgency } from './live-client.ts';

let hubA: TestHub;
let hubB: TestHub;
const open: { close(): void }[] = [];
const track = <T extends { close(): void }>(x: T): T => (open.push(x), x);

beforeAll(async () => {
  hubA = await startHub({ REDIS_URL: inject('redisUrl'), FLUSH_INTERVAL_MS: '50', DISCONNECT_GRACE_MS: '300' });
  hubB = await startHub({
    REDIS_URL: inject('redisUrl'),
    FLUSH_INTERVAL_MS: '50',
    DISCONNECT_GRACE_MS: '300',
    MONGO_URL: hubA.env.MONGO_URL!,
  });
});
afterAll(async () => {
  for (const x of open) x.close();
  await Promise.all([hubA?.stop(), hubB?.stop()]);
});

describe('/live across two hubs over Redis', () => {
  it('a dashboard on hub B sees a tracker on hub A: snapshot, page changes, state, leave', async () => {
    const cast = await agencyCast(hubA.url, uniqueAgency('redis'));
    const ada = track(await FakeTracker.connect(hubA.url, cast.adaToken));
    const pv1 = ada.pageview('/on-a', { title: 'On A' });
    expect((await ada.send(pv1)).ok).toBe(true);

    const boss = track(await LiveClient.connect(hubB.url, cast.bossToken));
    expect(boss.snapshot.entries).toHaveLength(1);
    expect(boss.snapshot.entries[0]).toMatchObject({
      sessionId: ada.tabId,
      userId: 'u-ada',
      path: '/on-a',
      title: 'On A',
    });
    const rest = await apiGet<PresenceSnapshot>(hubB.url, '/api/v1/presence', cast.bossToken);
    expect(rest.body.entries.map((e) => e.sessionId)).toEqual([ada.tabId]);

    // Live deltas cross instances too, and quickly.
    const bob = track(await FakeTracker.connect(hubA.url, cast.bobToken));
    const bobPv = bob.pageview('/bob-on-a');
    const sent = Date.now();
    expect((await bob.send(bobPv)).ok).toBe(true);
    const up = await boss.waitFor('upsert', (e) => e.pageviewId === bobPv.id);
    expect(up.t - sent).toBeLessThan(500);
    await boss.waitFor('feed', (f) => f.kind === 'online' && f.userId === 'u-bob');

    const pv2 = ada.pageview('/on-a-2');
    expect((await ada.send(pv2)).ok).toBe(true);
    const moved = await boss.waitFor('upsert', (e) => e.pageviewId === pv2.id);
    expect(moved.body.onlineSince).toBe(boss.snapshot.entries[0]!.onlineSince);
    expect((await ada.send(ada.heartbeat(pv2.id, 50, 'idle'))).ok).toBe(true);
    await boss.waitFor('upsert', (e) => e.pageviewId === pv2.id && e.state === 'idle');

    expect((await bob.send(bob.leave(bobPv.id, 10, 'unload'))).ok).toBe(true);
    await boss.waitFor('remove', (r) => r.sessionId === bob.tabId);
    await boss.waitFor('feed', (f) => f.kind === 'offline' && f.userId === 'u-bob');
    expect((await boss.sync()).entries.map((e) => e.sessionId)).toEqual([ada.tabId]);

    // A disconnect on hub A (no return within the grace time) also reaches hub B.
    ada.close();
    await boss.waitFor('remove', (r) => r.sessionId === ada.tabId, 5_000);
    // Exactly one offline per tab, although both instances could have announced it.
    await new Promise((r) => setTimeout(r, 300));
    expect(boss.feed('offline').filter((f) => f.userId === 'u-ada')).toHaveLength(1);
    expect((await boss.sync()).entries).toEqual([]);
  });

  it('keeps scope across instances: a location user on B sees only themselves, another agency nothing', async () => {
    const cast = await agencyCast(hubA.url, uniqueAgency('redis'));
    const stranger = await devToken(hubB.url, { userId: 'boss', role: 'agency', agencyId: uniqueAgency('other') });
    const adaLive = track(await LiveClient.connect(hubB.url, cast.adaToken));
    const strangerLive = track(await LiveClient.connect(hubB.url, stranger));
    const cat = track(await FakeTracker.connect(hubA.url, cast.catToken));
    const ada = track(await FakeTracker.connect(hubA.url, cast.adaToken));
    expect((await cat.send(cat.pageview('/cat'))).ok).toBe(true);
    const adaPv = ada.pageview('/ada');
    expect((await ada.send(adaPv)).ok).toBe(true);
    await adaLive.waitFor('upsert', (e) => e.pageviewId === adaPv.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(
      adaLive.messages
        .filter((m) => m.kind !== 'snapshot')
        .every((m) => (m.body as { userId: string }).userId === 'u-ada'),
    ).toBe(true);
    expect(strangerLive.messages.map((m) => m.kind)).toEqual(['snapshot']);
    expect((await adaLive.sync()).entries.map((e) => e.userId)).toEqual(['u-ada']);
    expect((await strangerLive.sync()).entries).toEqual([]);
  });
});
