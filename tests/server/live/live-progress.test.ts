/**
 * Heartbeat progress on /live is gathered: the progress of many tabs reaches a dashboard in
 * `upserts` packets, one per room, a moment later and in scope; and a tab's gathered progress
 * never arrives after its next page or its removal. On one hub (rooms known locally) and across
 * two hubs over Redis (every room published). tests/server/realtime/live-publisher.test.ts
 * checks the gathering itself deterministically.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { PROGRESS_GATHER_MS } from '../../../server/src/realtime/live-publisher.ts';
import { agencyCast, LiveClient, uniqueAgency } from './live-client.ts';

/** The shortest interval the hub accepts: plain progress is sent at most every 0.8 of it. */
const HEARTBEAT_MS = 5_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const setups: [string, () => Promise<{ tracked: TestHub; watched: TestHub; all: TestHub[] }>][] = [
  [
    'one hub',
    async () => {
      const hub = await startHub({ FLUSH_INTERVAL_MS: '50', HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) });
      return { tracked: hub, watched: hub, all: [hub] };
    },
  ],
  [
    'two hubs over Redis',
    async () => {
      const env = {
        REDIS_URL: inject('redisUrl'),
        FLUSH_INTERVAL_MS: '50',
        HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
      };
      const a = await startHub(env);
      const b = await startHub({ ...env, MONGO_URL: a.env.MONGO_URL! });
      return { tracked: a, watched: b, all: [a, b] };
    },
  ],
];

describe.each(setups)('/live gathered progress, %s', (_name, setup) => {
  let hubs: Awaited<ReturnType<typeof setup>>;
  const open: { close(): void }[] = [];
  const track = <T extends { close(): void }>(x: T): T => (open.push(x), x);

  beforeAll(async () => {
    hubs = await setup();
  });
  afterAll(async () => {
    for (const x of open) x.close();
    await Promise.all(hubs?.all.map((h) => h.stop()) ?? []);
  });

  it('sends the progress of many tabs together, in scope, never after the tab moved on', async () => {
    const { tracked, watched } = hubs;
    const a = await agencyCast(tracked.url, uniqueAgency('gather'));
    const other = uniqueAgency('other');
    const stranger = track(
      await LiveClient.connect(
        watched.url,
        await devToken(watched.url, { userId: 'boss', role: 'agency', agencyId: other }),
      ),
    );
    // Same user id as Ada, in another agency.
    const namesake = track(
      await LiveClient.connect(
        watched.url,
        await devToken(watched.url, { userId: 'u-ada', role: 'location', agencyId: other, locationId: 'loc-north' }),
      ),
    );
    const boss = track(await LiveClient.connect(watched.url, a.bossToken));
    const adaLive = track(await LiveClient.connect(watched.url, a.adaToken));

    const trackers = await Promise.all(
      [a.adaToken, a.bobToken, a.catToken].map(async (token) => track(await FakeTracker.connect(tracked.url, token))),
    );
    const pvs = trackers.map((tr, i) => tr.pageview(`/gather-${i}`));
    for (const [i, tr] of trackers.entries()) expect((await tr.send(pvs[i]!)).ok).toBe(true);
    for (const pv of pvs) await boss.waitFor('upsert', (e) => e.pageviewId === pv.id);
    // Plain progress goes out at most every 0.8 of an interval per tab, counted from its page view.
    await sleep(HEARTBEAT_MS * 0.8 + 100);

    const sent = Date.now();
    const acks = await Promise.all(trackers.map((tr, i) => tr.send(tr.heartbeat(pvs[i]!.id, 250))));
    expect(acks.every((r) => r.ok)).toBe(true);
    const progressOf = (live: LiveClient, pvId: string) =>
      live.waitFor('upsert', (e) => e.pageviewId === pvId && e.engagedMs > 0);
    const got = await Promise.all(pvs.map((pv) => progressOf(boss, pv.id)));

    // Gathered into packets for the agency's room (one, or two if the timer fell between the
    // heartbeats), each entry whole, within the gathering time.
    expect(got.every((m) => m.packet !== undefined)).toBe(true);
    expect(new Set(got.map((m) => m.packet)).size).toBeLessThanOrEqual(2);
    expect(got.map((m) => m.body.userId).sort()).toEqual(['u-ada', 'u-bob', 'u-cat']);
    for (const [i, m] of got.entries()) {
      expect(m.body).toMatchObject({ sessionId: trackers[i]!.tabId, path: `/gather-${i}`, state: 'active' });
      expect(m.body.engagedMs).toBeLessThanOrEqual(250);
      expect(m.t - sent).toBeLessThan(PROGRESS_GATHER_MS + 1_500);
    }

    // Ada's own dashboard gets her progress and nobody else's; the other agency gets nothing.
    const own = await progressOf(adaLive, pvs[0]!.id);
    expect(own.packet).toBeDefined();
    await sleep(PROGRESS_GATHER_MS + 200);
    expect(adaLive.upserts().every((e) => e.userId === 'u-ada' && e.agencyId === a.ada.agencyId)).toBe(true);
    expect(stranger.messages.map((m) => m.kind)).toEqual(['snapshot']);
    expect(namesake.messages.map((m) => m.kind)).toEqual(['snapshot']);

    // Progress gathered for Cat, then Cat's next page right away, and Bob's progress then his
    // unload: neither tab's progress arrives after its newer news (which would put Cat back on
    // the page she left, or Bob back online).
    await sleep(HEARTBEAT_MS * 0.8 + 100);
    const [, bob, cat] = trackers as [FakeTracker, FakeTracker, FakeTracker];
    const next = cat.pageview('/gather-next');
    const sends = await Promise.all([
      cat.send(cat.heartbeat(pvs[2]!.id, 300)),
      cat.send(next),
      bob.send(bob.heartbeat(pvs[1]!.id, 300)),
      bob.send(bob.leave(pvs[1]!.id, 0, 'unload')),
    ]);
    expect(sends.every((r) => r.ok)).toBe(true);
    const moved = await boss.waitFor('upsert', (e) => e.pageviewId === next.id);
    const gone = await boss.waitFor('remove', (r) => r.sessionId === bob.tabId);
    await sleep(PROGRESS_GATHER_MS + 500);
    const later = (sessionId: string, after: number) =>
      boss.upsertsAfter(after).filter((e) => e.sessionId === sessionId);
    expect(later(cat.tabId, boss.messages.indexOf(moved)).map((e) => e.pageviewId)).not.toContain(pvs[2]!.id);
    expect(later(bob.tabId, boss.messages.indexOf(gone))).toEqual([]);
  });
});
