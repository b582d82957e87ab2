/**
 * Live isolation: rooms come from claims alone, and a probe socket in the victim's scope (Ada,
 * a location user of agency A) hears only Ada while a colleague (Cat) and agency B do all they
 * can over /live, /track and /collect. Nothing they do reaches Ada's socket, shows up under
 * her identity, or changes her stored page views; their own sockets hear nothing of her.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageviewItem } from '@activity-hub/protocol';
import { apiGet, devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { LiveClient } from '../live/live-client.ts';
import { closeCast, markersIn, seedCast, type Cast, type Person } from './tenants.ts';

let t: TestHub;
let cast: Cast;
const open: { close(): void }[] = [];
const keep = <T extends { close(): void }>(x: T): T => (open.push(x), x);

beforeAll(async () => {
  t = await startHub({ FLUSH_INTERVAL_MS: '50' });
  cast = await seedCast(t);
});
afterAll(async () => {
  for (const x of open) x.close();
  closeCast(cast);
  await t?.stop();
});

/** Events a client might hope would put it in a room; the hub must ignore them all. */
async function tryToJoin(c: LiveClient, victim: Person): Promise<void> {
  const rooms = [
    `user:${victim.agencyId}:${victim.userId}`,
    `agency:${victim.agencyId}`,
    victim.agencyId,
    victim.userId,
  ];
  const emit = c.socket.emit.bind(c.socket) as (ev: string, ...args: unknown[]) => void;
  for (const ev of ['join', 'subscribe', 'joinRoom', 'room', 'rooms', 'leave', 'watch', 'sync']) {
    for (const r of rooms) {
      emit(ev, r);
      emit(ev, [r]);
      emit(ev, { room: r, agencyId: victim.agencyId, userId: victim.userId });
    }
  }
  // Packets are handled in order: once this ack is back, every emit above has been handled.
  await c.sync();
}

/** The rooms of every socket on a namespace, by socket id. */
async function roomsOf(ns: string): Promise<Map<string, string[]>> {
  const sockets = await t.hub.io.of(ns).fetchSockets();
  return new Map(sockets.map((s) => [s.id, [...s.rooms].filter((r) => r !== s.id).sort()]));
}

/** POST /collect as a beacon would send it; `extra` adds fields to the body itself. */
const collect = (token: string, events: unknown[], extra: Record<string, unknown> = {}) =>
  fetch(`${t.url}/api/v1/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ token, events, ...extra }),
  });

/** The one room a person's dashboard belongs in (access.ts, for plain ids). */
const roomOf = (p: Person) => (p.role === 'agency' ? `agency:${p.agencyId}` : `user:${p.agencyId}:${p.userId}`);

const pageviewsOf = async (viewer: Person, userId: string) =>
  (await apiGet<{ items: PageviewItem[] }>(t.url, `/api/v1/pageviews?userId=${userId}&limit=500`, viewer.token)).body
    .items;

describe('rooms', () => {
  it('a socket is only in the rooms its claims give, whatever it emits', async () => {
    const clients = new Map<Person, LiveClient>();
    for (const p of Object.values(cast)) clients.set(p, keep(await LiveClient.connect(t.url, p.token)));
    for (const c of clients.values()) await tryToJoin(c, cast.ada);
    const rooms = await roomsOf('/live');
    for (const [p, c] of clients) expect(rooms.get(c.socket.id!), p.key).toEqual([roomOf(p)]);
    // Seen from the adapter: each tenant room holds exactly the sockets of its people.
    const adapterRooms = t.hub.io.of('/live').adapter.rooms;
    for (const [p, c] of clients) expect([...(adapterRooms.get(roomOf(p)) ?? [])], p.key).toEqual([c.socket.id]);
    const named = [...adapterRooms.keys()].filter((r) => !t.hub.io.of('/live').sockets.has(r));
    expect(named.sort()).toEqual([...clients.keys()].map(roomOf).sort());
    // Trackers never join a room: /track only talks to its own socket.
    for (const [id, r] of await roomsOf('/track')) expect(r, id).toEqual([]);
    // The junk events produced nothing on any socket but the sync replies.
    for (const c of clients.values()) expect(c.messages.map((m) => m.kind)).toEqual(['snapshot']);
  });
});

describe('a probe in the victim’s scope', () => {
  it('hears only the victim while a colleague and another agency attack on every channel', async () => {
    const { ada, cat, bossA, bossB, adaB, eve } = cast;
    const probe = keep(await LiveClient.connect(t.url, ada.token));
    const bossALive = keep(await LiveClient.connect(t.url, bossA.token));
    const attackers = [cat, bossB, adaB, eve];
    const attackerLive = new Map(
      await Promise.all(attackers.map(async (p) => [p, keep(await LiveClient.connect(t.url, p.token))] as const)),
    );
    const before = await pageviewsOf(bossA, ada.userId);
    expect(before.map((p) => p.id).sort()).toEqual([...ada.pageviewIds].sort());

    for (const p of attackers) {
      const refused = p.agencyId === ada.agencyId ? 'forbidden' : 'not_found';
      const tr = p.tracker;
      // Heartbeats and leaves on Ada's page views: refused, never credited.
      for (const pv of ada.pageviewIds) {
        expect(await tr.send(tr.heartbeat(pv, 1_000)), p.key).toMatchObject({ ok: false, error: { code: refused } });
        expect(await tr.send(tr.leave(pv, 1_000, 'unload')), p.key).toMatchObject({
          ok: false,
          error: { code: refused },
        });
      }
      // The same over /collect (before any reuse below), with the attacker's own token.
      const viaCollect = await collect(
        p.token,
        ada.pageviewIds.map((pv) => tr.heartbeat(pv, 1_000)),
      );
      expect(await viaCollect.json()).toMatchObject({
        results: [
          { ok: false, code: refused },
          { ok: false, code: refused },
        ],
      });
      // Claiming Ada's identity in an event or the /collect body: strict schemas refuse unknown fields.
      const claim = { userId: ada.userId, agencyId: ada.agencyId, locationId: ada.locationId, role: 'agency' };
      expect(await tr.send({ ...tr.pageview(`/claim/${p.marker}`), ...claim }), p.key).toMatchObject({
        ok: false,
        error: { code: 'validation_failed' },
      });
      expect(await (await collect(p.token, [{ ...tr.pageview(`/claim/${p.marker}`), ...claim }])).json()).toMatchObject(
        { results: [{ ok: false, code: 'validation_failed' }] },
      );
      const bodyClaim = await collect(p.token, [tr.pageview(`/claim/${p.marker}`)], claim);
      expect(bodyClaim.status).toBe(400);
      expect(await bodyClaim.json()).toMatchObject({ error: { code: 'validation_failed' } });
      // And over /live: asking to join Ada's rooms.
      await tryToJoin(attackerLive.get(p)!, ada);
    }
    for (const [i, p] of attackers.entries()) {
      const tr = p.tracker;
      const same = p.agencyId === ada.agencyId;
      // The first of agency B to reuse an id gets a record of its own; later ones find it taken by a colleague.
      const takenInB = attackers.slice(0, i).some((q) => q.agencyId === p.agencyId);
      // Reusing Ada's page view id: her colleague is refused; another agency gets a record of its own.
      const reuseId = tr.pageview(`/reuse-id/${p.marker}`, { id: ada.pageviewIds[1] });
      expect(await tr.send(reuseId), p.key).toEqual(
        same || takenInB ? { ok: false, error: expect.objectContaining({ code: 'forbidden' }) } : { ok: true },
      );
      // Reusing her tab id: sessions are keyed by user too, so it is the attacker's own session.
      const reuseTab = tr.pageview(`/reuse-tab/${p.marker}`, { tabId: ada.tabId });
      expect(await tr.send(reuseTab), p.key).toEqual({ ok: true });
    }

    // Ada's stored page views are exactly as before the attack (acks mean stored, so this is final).
    expect(await pageviewsOf(bossA, ada.userId)).toEqual(before);

    // Ada herself moves on: the probe must hear exactly that.
    const threePath = `/three/${ada.marker}`;
    const three = ada.tracker.pageview(threePath);
    expect(await ada.tracker.send(three)).toEqual({ ok: true });
    await probe.waitFor('feed', (f) => f.path === threePath);
    await bossALive.waitFor('feed', (f) => f.path === threePath);
    // Agency B's own reuse of A's ids did reach B's dashboard: the attack events were all live-published by now.
    await attackerLive.get(bossB)!.waitFor('upsert', (e) => e.path === `/reuse-tab/${bossB.marker}`);

    const after = probe.messages.slice(1);
    expect(after.length).toBeGreaterThan(0);
    for (const m of after) {
      const b = m.body as { userId?: string; agencyId?: string; sessionId?: string };
      expect(b.userId, JSON.stringify(m)).toBe(ada.userId);
      if (b.agencyId) expect(b.agencyId).toBe(ada.agencyId);
      if (b.sessionId) expect(b.sessionId).toBe(ada.tabId);
      expect(markersIn(cast, JSON.stringify(m.body))).toEqual(['ada']);
    }
    // The attackers' own sockets heard nothing of Ada (B: nothing of agency A at all).
    for (const [p, c] of attackerLive) {
      const heard = markersIn(cast, JSON.stringify(c.messages));
      expect(heard, p.key).not.toContain('ada');
      if (p.agencyId !== ada.agencyId)
        expect(
          heard.every((k) => cast[k as keyof Cast].agencyId === p.agencyId),
          p.key,
        ).toBe(true);
    }

    // Nothing under her identity anywhere in A but her own paths.
    expect((await pageviewsOf(bossA, ada.userId)).every((p) => p.path.includes(ada.marker))).toBe(true);
    // None of the refused claims was stored, by anyone.
    for (const viewer of [bossA, bossB]) {
      const all = (await apiGet<{ items: PageviewItem[] }>(t.url, '/api/v1/pageviews?limit=500', viewer.token)).body
        .items;
      expect(all.filter((v) => v.path.startsWith('/claim/'))).toEqual([]);
    }
    // Agency B's records that reuse A's ids are B's, under B's identity.
    const bViews = await pageviewsOf(bossB, bossB.userId);
    expect(bViews.find((v) => v.id === ada.pageviewIds[1])).toMatchObject({
      agencyId: bossB.agencyId,
      userId: bossB.userId,
      path: `/reuse-id/${bossB.marker}`,
    });
    expect(bViews.find((v) => v.sessionId === ada.tabId)).toMatchObject({
      agencyId: bossB.agencyId,
      userId: bossB.userId,
    });
  });

  it('ids that only differ by where a colon falls are different tenants', async () => {
    // Agency "x" with user "y:z" and agency "x:y" with user "z" must never share a room.
    const tag = Date.now().toString(36);
    const victimToken = await devToken(t.url, {
      userId: 'y:z',
      role: 'location',
      agencyId: `x${tag}`,
      locationId: 'l',
    });
    const attackerToken = await devToken(t.url, {
      userId: 'z',
      role: 'location',
      agencyId: `x${tag}:y`,
      locationId: 'l',
    });
    const spy = keep(await LiveClient.connect(t.url, attackerToken));
    const own = keep(await LiveClient.connect(t.url, victimToken));
    const tr = keep(await FakeTracker.connect(t.url, victimToken));
    expect(await tr.send(tr.pageview('/colon-victim'))).toEqual({ ok: true });
    await own.waitFor('feed', (f) => f.path === '/colon-victim');
    // The spy's socket is in order: anything sent to it before this reply has arrived by now.
    await spy.sync();
    expect(spy.messages.map((m) => m.kind)).toEqual(['snapshot']);
  });
});
