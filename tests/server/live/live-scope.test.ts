/**
 * Scope on /live and GET /presence: an agency user sees their whole agency, a location user
 * only themselves (never a colleague, even in the same location), another agency nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceSnapshot } from '@activity-hub/protocol';
import { apiGet, devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { agencyCast, LiveClient, uniqueAgency } from './live-client.ts';

let t: TestHub;
const open: { close(): void }[] = [];
const track = <T extends { close(): void }>(x: T): T => (open.push(x), x);

beforeAll(async () => {
  t = await startHub({ FLUSH_INTERVAL_MS: '50' });
});
afterAll(async () => {
  for (const x of open) x.close();
  await t.stop();
});

const users = (s: PresenceSnapshot) => s.entries.map((e) => `${e.agencyId}/${e.userId}`).sort();

describe('/live scope', () => {
  it('agency sees all of its agency, a location user only themselves, another agency nothing', async () => {
    const a = await agencyCast(t.url, uniqueAgency('a'));
    const otherAgency = uniqueAgency('b');
    const bBoss = await devToken(t.url, { userId: 'boss', role: 'agency', agencyId: otherAgency });
    // Same user id as Ada, in another agency: user ids are only unique within an agency.
    const bAda = await devToken(t.url, {
      userId: 'u-ada',
      role: 'location',
      agencyId: otherAgency,
      locationId: 'loc-north',
    });

    // Ada and Cat are already online when the dashboards connect (snapshot), Bob comes later (deltas).
    const ada = track(await FakeTracker.connect(t.url, a.adaToken));
    const cat = track(await FakeTracker.connect(t.url, a.catToken));
    expect((await ada.send(ada.pageview('/ada-1'))).ok).toBe(true);
    expect((await cat.send(cat.pageview('/cat-1'))).ok).toBe(true);

    const boss = track(await LiveClient.connect(t.url, a.bossToken));
    const adaLive = track(await LiveClient.connect(t.url, a.adaToken));
    const stranger = track(await LiveClient.connect(t.url, bBoss));
    const namesake = track(await LiveClient.connect(t.url, bAda));

    const A = a.ada.agencyId;
    expect(users(boss.snapshot)).toEqual([`${A}/u-ada`, `${A}/u-cat`]);
    expect(users(adaLive.snapshot)).toEqual([`${A}/u-ada`]);
    expect(stranger.snapshot.entries).toEqual([]);
    expect(namesake.snapshot.entries).toEqual([]);

    const bob = track(await FakeTracker.connect(t.url, a.bobToken));
    const bobPv = bob.pageview('/bob-1');
    expect((await bob.send(bobPv)).ok).toBe(true);
    const catPv = cat.pageview('/cat-2');
    expect((await cat.send(catPv)).ok).toBe(true);
    const adaPv = ada.pageview('/ada-2');
    expect((await ada.send(adaPv)).ok).toBe(true);
    expect((await cat.send(cat.heartbeat(catPv.id, 10, 'idle'))).ok).toBe(true);
    expect((await bob.send(bob.leave(bobPv.id, 10, 'unload'))).ok).toBe(true);

    await boss.waitFor('remove', (r) => r.userId === 'u-bob');
    await boss.waitFor('upsert', (e) => e.userId === 'u-cat' && e.state === 'idle');
    await adaLive.waitFor('upsert', (e) => e.pageviewId === adaPv.id);
    // Ada's own last event was sent after everyone else's: anything about others would be here by now.
    await adaLive.waitFor('feed', (f) => f.kind === 'pageview' && f.path === '/ada-2');
    await new Promise((r) => setTimeout(r, 200));

    for (const m of adaLive.messages) {
      const body = m.body as { userId?: string; entries?: { userId: string }[] };
      if (m.kind === 'snapshot') expect(body.entries!.every((e) => e.userId === 'u-ada')).toBe(true);
      else expect(body.userId).toBe('u-ada');
    }
    expect(adaLive.upserts().every((e) => e.agencyId === A)).toBe(true);
    // The other agency, including a user with Ada's id, heard nothing at all.
    expect(stranger.messages.map((m) => m.kind)).toEqual(['snapshot']);
    expect(namesake.messages.map((m) => m.kind)).toEqual(['snapshot']);
    // The agency user saw everyone, with feed items for each.
    expect(new Set(boss.feed().map((f) => f.userId))).toEqual(new Set(['u-ada', 'u-bob', 'u-cat']));

    // Sync and REST give the same scope.
    expect(users(await boss.sync())).toEqual([`${A}/u-ada`, `${A}/u-cat`]);
    expect(users(await adaLive.sync())).toEqual([`${A}/u-ada`]);
    expect((await stranger.sync()).entries).toEqual([]);
    expect(users((await apiGet<PresenceSnapshot>(t.url, '/api/v1/presence', a.bossToken)).body)).toEqual([
      `${A}/u-ada`,
      `${A}/u-cat`,
    ]);
    expect(users((await apiGet<PresenceSnapshot>(t.url, '/api/v1/presence', a.adaToken)).body)).toEqual([`${A}/u-ada`]);
    expect(users((await apiGet<PresenceSnapshot>(t.url, '/api/v1/presence', a.catToken)).body)).toEqual([`${A}/u-cat`]);
    expect((await apiGet<PresenceSnapshot>(t.url, '/api/v1/presence', bAda)).body.entries).toEqual([]);
    expect((await apiGet<PresenceSnapshot>(t.url, '/api/v1/presence', bBoss)).body.entries).toEqual([]);
  });

  it('ignores query parameters that try to widen the scope', async () => {
    const a = await agencyCast(t.url, uniqueAgency('a'));
    const cat = track(await FakeTracker.connect(t.url, a.catToken));
    expect((await cat.send(cat.pageview('/cat'))).ok).toBe(true);
    for (const q of ['?userId=u-cat', `?agencyId=${a.cat.agencyId}`, '?role=agency']) {
      const r = await apiGet<PresenceSnapshot>(t.url, `/api/v1/presence${q}`, a.adaToken);
      expect(r.status === 200 ? r.body.entries : []).toEqual([]);
    }
  });
});
