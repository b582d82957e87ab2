/**
 * The /live namespace on one hub: the first message is a snapshot in scope, then presence
 * deltas and feed items are pushed as tracking facts arrive; plain progress is throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CLASSES, type PresenceSnapshot } from '@activity-hub/protocol';
import { apiGet, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { agencyCast, LiveClient, uniqueAgency } from './live-client.ts';

const HEARTBEAT_MS = 5_000;
let t: TestHub;
const open: { close(): void }[] = [];
const track = <T extends { close(): void }>(x: T): T => (open.push(x), x);

beforeAll(async () => {
  t = await startHub({ FLUSH_INTERVAL_MS: '50', HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) });
});
afterAll(async () => {
  for (const x of open) x.close();
  await t.stop();
});

describe('/live snapshot and deltas', () => {
  it('sends a snapshot first, with every field of a tab already online', async () => {
    const cast = await agencyCast(t.url, uniqueAgency());
    const tr = track(await FakeTracker.connect(t.url, cast.adaToken));
    const before = Date.now();
    const pv = tr.pageview('/contacts', { title: 'Contacts' });
    expect((await tr.send(pv)).ok).toBe(true);
    expect((await tr.send(tr.heartbeat(pv.id, 300))).ok).toBe(true);

    const live = track(await LiveClient.connect(t.url, cast.bossToken));
    expect(live.messages[0]?.kind).toBe('snapshot');
    const snap = live.snapshot;
    expect(Math.abs(snap.serverTime - Date.now())).toBeLessThan(2_000);
    expect(snap.entries).toHaveLength(1);
    const e = snap.entries[0]!;
    expect(e).toMatchObject({
      sessionId: tr.tabId,
      userId: 'u-ada',
      name: 'Ada Lovelace',
      agencyId: cast.ada.agencyId,
      locationId: 'loc-north',
      pageviewId: pv.id,
      path: '/contacts',
      title: 'Contacts',
      state: 'active',
    });
    // A node client sends no user agent; browsers are classified in tests/browser.
    expect(DEVICE_CLASSES).toContain(e.device);
    expect(e.engagedMs).toBeGreaterThanOrEqual(0);
    expect(e.engagedMs).toBeLessThanOrEqual(300);
    expect(e.onlineSince).toBeGreaterThanOrEqual(before - 50);
    expect(e.onlineSince).toBeLessThanOrEqual(Date.now());
    expect(e.pageSince).toBe(e.onlineSince);
  });

  it('pushes online, page changes, state changes and offline at once', async () => {
    const cast = await agencyCast(t.url, uniqueAgency());
    const live = track(await LiveClient.connect(t.url, cast.bossToken));
    expect(live.snapshot.entries).toEqual([]);
    const tr = track(await FakeTracker.connect(t.url, cast.bobToken));

    const pv1 = tr.pageview('/a', { title: 'Page A' });
    const sent = Date.now();
    expect((await tr.send(pv1)).ok).toBe(true);
    const up1 = await live.waitFor('upsert', (e) => e.pageviewId === pv1.id);
    expect(up1.t - sent).toBeLessThan(500);
    expect(up1.body).toMatchObject({
      sessionId: tr.tabId,
      userId: 'u-bob',
      path: '/a',
      title: 'Page A',
      state: 'active',
      engagedMs: 0,
    });
    await live.waitFor('feed', (f) => f.kind === 'online' && f.userId === 'u-bob');
    await live.waitFor('feed', (f) => f.kind === 'pageview' && f.path === '/a');

    // A navigation: the tab's entry moves to the new page, keeping its online-since time.
    expect((await tr.send(tr.leave(pv1.id, 200, 'navigate'))).ok).toBe(true);
    const pv2 = tr.pageview('/b', { title: 'Page B' });
    expect((await tr.send(pv2)).ok).toBe(true);
    const up2 = await live.waitFor('upsert', (e) => e.pageviewId === pv2.id);
    expect(up2.body).toMatchObject({
      sessionId: tr.tabId,
      path: '/b',
      engagedMs: 0,
      onlineSince: up1.body.onlineSince,
    });
    expect(up2.body.pageSince).toBeGreaterThanOrEqual(up1.body.pageSince);
    expect(live.of('remove')).toEqual([]);
    // One 'online' only: a navigation is not a new tab.
    expect(live.feed('online')).toHaveLength(1);

    // A state change is pushed at once, with a feed item naming the state.
    expect((await tr.send(tr.heartbeat(pv2.id, 100, 'hidden'))).ok).toBe(true);
    const hidden = await live.waitFor('upsert', (e) => e.pageviewId === pv2.id && e.state === 'hidden');
    expect(hidden.body.engagedMs).toBeLessThanOrEqual(100);
    await live.waitFor('feed', (f) => f.kind === 'state' && f.state === 'hidden');
    expect((await tr.send(tr.heartbeat(pv2.id, 0, 'active'))).ok).toBe(true);
    await live.waitFor('upsert', (e) => e.pageviewId === pv2.id && e.state === 'active');

    // Unload: the tab leaves, with an 'offline' feed item.
    expect((await tr.send(tr.leave(pv2.id, 0, 'unload'))).ok).toBe(true);
    const rm = await live.waitFor('remove', (r) => r.sessionId === tr.tabId);
    expect(rm.body).toMatchObject({ userId: 'u-bob' });
    await live.waitFor('feed', (f) => f.kind === 'offline' && f.userId === 'u-bob');
    expect((await live.sync()).entries).toEqual([]);
  });

  it('removes a tab whose tracker disconnects and does not come back', async () => {
    const t2 = await startHub({ FLUSH_INTERVAL_MS: '50', DISCONNECT_GRACE_MS: '200' });
    try {
      const cast = await agencyCast(t2.url, uniqueAgency());
      const live = track(await LiveClient.connect(t2.url, cast.bossToken));
      const tr = await FakeTracker.connect(t2.url, cast.adaToken);
      const pv = tr.pageview('/gone');
      expect((await tr.send(pv)).ok).toBe(true);
      await live.waitFor('upsert', (e) => e.pageviewId === pv.id);
      tr.close();
      await live.waitFor('remove', (r) => r.sessionId === tr.tabId, 5_000);
      await live.waitFor('feed', (f) => f.kind === 'offline' && f.userId === 'u-ada');
      expect((await live.sync()).entries).toEqual([]);
    } finally {
      await t2.stop();
    }
  });

  it('throttles plain progress to one update per tab per heartbeat interval, but keeps the snapshot fresh', async () => {
    const cast = await agencyCast(t.url, uniqueAgency());
    const live = track(await LiveClient.connect(t.url, cast.bossToken));
    const tr = track(await FakeTracker.connect(t.url, cast.adaToken));
    const pv = tr.pageview('/busy');
    expect((await tr.send(pv)).ok).toBe(true);
    await live.waitFor('upsert', (e) => e.pageviewId === pv.id);

    // A heartbeat every 200 ms for 1.3 intervals, all 'active' (no state change).
    const until = Date.now() + HEARTBEAT_MS * 1.3;
    let beats = 0;
    while (Date.now() < until) {
      expect((await tr.send(tr.heartbeat(pv.id, 200))).ok).toBe(true);
      beats++;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(beats).toBeGreaterThan(20);
    const progress = live
      .upserts(tr.tabId)
      .filter((e) => e.pageviewId === pv.id)
      .slice(1);
    // At least one progress update got through, and never two within 0.8 of an interval.
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(2);
    const times = live.upserts(tr.tabId).map((e) => e.updatedAt);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(HEARTBEAT_MS * 0.8);
    expect(progress.at(-1)!.engagedMs).toBeGreaterThan(0);

    // What was not pushed is still in the store: sync and REST see the latest engaged time.
    const synced = await live.sync();
    const fresh = synced.entries.find((e) => e.sessionId === tr.tabId)!;
    expect(fresh.engagedMs).toBeGreaterThanOrEqual(progress.at(-1)!.engagedMs);
    expect(fresh.updatedAt).toBeGreaterThan(progress.at(-1)!.updatedAt);
    expect(synced.serverTime).toBeGreaterThanOrEqual(live.snapshot.serverTime);
  });

  it('GET /api/v1/presence returns the same snapshot as the socket', async () => {
    const cast = await agencyCast(t.url, uniqueAgency());
    const trs = [
      track(await FakeTracker.connect(t.url, cast.adaToken)),
      track(await FakeTracker.connect(t.url, cast.bobToken)),
    ];
    for (const [i, tr] of trs.entries()) expect((await tr.send(tr.pageview(`/p${i}`))).ok).toBe(true);
    const live = track(await LiveClient.connect(t.url, cast.bossToken));
    const rest = await apiGet<PresenceSnapshot>(t.url, '/api/v1/presence', cast.bossToken);
    expect(rest.status).toBe(200);
    const bySession = (s: PresenceSnapshot) => [...s.entries].sort((a, b) => a.sessionId.localeCompare(b.sessionId));
    expect(bySession(rest.body)).toEqual(bySession(live.snapshot));
    expect(bySession(await live.sync())).toEqual(bySession(live.snapshot));
    expect(rest.body.entries.map((e) => e.userId).sort()).toEqual(['u-ada', 'u-bob']);
    expect(typeof rest.body.serverTime).toBe('number');
    const anonymous = await fetch(`${t.url}/api/v1/presence`);
    expect(anonymous.status).toBe(401);
  });

  it('refuses a dashboard without a valid token', async () => {
    await expect(LiveClient.connect(t.url, 'not-a-token')).rejects.toMatchObject({
      data: { code: expect.stringMatching(/^token_/) },
    });
    await expect(LiveClient.connect(t.url, '')).rejects.toMatchObject({ data: { code: 'token_missing' } });
  });
});
