import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { calculateObjectSize } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectResult, TrackEvent } from '@activity-hub/protocol';
import type { Claims } from '../../../server/src/domain/identity.ts';
import type { TrackContext } from '../../../server/src/domain/tracking-service.ts';
import { devToken, startHub, type TestHub } from '../../helpers/hub.ts';

let t: TestHub;
beforeAll(async () => {
  // The events budget is lifted: these tests reach the tracking domain with thousands of events
  // from one user (the limiter, which would refuse them first, has its own tests).
  t = await startHub({
    FLUSH_INTERVAL_MS: '20',
    RATE_LIMITS: JSON.stringify({ events: { perSecond: 100_000, burst: 100_000 } }),
  });
});
afterAll(async () => {
  await t.stop();
});

const claimsOf = (agencyId: string, sub = 'u1'): Claims => ({
  sub,
  scope: 'track',
  agencyId,
  locationId: 'l1',
  role: 'location',
  name: 'U',
  email: '',
  exp: Math.floor(Date.now() / 1000) + 3600,
});

function ctxOf(claims: Claims, connection: TrackContext['connection'] = null): TrackContext {
  return { claims, userAgent: 'test', device: 'desktop', connection };
}

const pageview = (tabId: string, seq: number): TrackEvent => ({
  type: 'pageview',
  id: randomUUID(),
  seq,
  tabId,
  url: 'https://app.example.com/p',
  path: '/p',
  title: 'P',
  referrer: '',
});

const heartbeat = (tabId: string, pageviewId: string, seq: number, engagedMs = 10): TrackEvent => ({
  type: 'heartbeat',
  id: randomUUID(),
  seq,
  tabId,
  pageviewId,
  engagedMs,
  state: 'active',
});

describe('bounded state (issue 10 hole 3, issue 11 memory)', () => {
  it('5,000 refused heartbeats via /collect with random tab ids allocate nothing', async () => {
    const token = await devToken(t.url, { userId: 'eve', role: 'location', agencyId: 'ag-refused', locationId: 'l' });
    const tabsBefore = t.hub.tracking.tabs.size;
    // hub_pageviews_open reads this at each scrape.
    const openBefore = t.hub.tracking.tabs.openPageviews;
    for (let r = 0; r < 100; r++) {
      const events = Array.from({ length: 50 }, (_, i) => heartbeat(randomUUID(), randomUUID(), i));
      const res = await fetch(`${t.url}/api/v1/collect`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ token, events }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as CollectResult;
      expect(body.results.every((x) => !x.ok && x.code === 'not_found')).toBe(true);
    }
    expect(t.hub.tracking.tabs.size).toBe(tabsBefore);
    expect(t.hub.tracking.tabs.openPageviews).toBe(openBefore);
  }, 60_000);

  it('a tab open all day (2,000 heartbeats) has the document size of a tab with 200', async () => {
    const claims = claimsOf('ag-doc');
    const tabId = randomUUID();
    const pv = pageview(tabId, 0);
    await t.hub.tracking.handle(ctxOf(claims), pv);
    let seq = 1;
    const sizes: Record<number, number> = {};
    for (const upTo of [200, 2_000]) {
      const sends: Promise<void>[] = [];
      while (seq <= upTo) sends.push(t.hub.tracking.handle(ctxOf(claims), heartbeat(tabId, pv.id, seq++, 1)));
      await Promise.all(sends);
      const doc = await t.hub.db.models.pageviews.findOne({ agencyId: 'ag-doc', id: pv.id });
      sizes[upTo] = calculateObjectSize(doc!);
    }
    console.warn(`[figure] page view document: ${sizes[200]} B after 200 heartbeats, ${sizes[2_000]} B after 2,000`);
    // Only engagedMs and times change: a few bytes at most.
    expect(Math.abs(sizes[2_000]! - sizes[200]!)).toBeLessThanOrEqual(16);
    expect(sizes[2_000]).toBeLessThan(4_096);
    // A heartbeat re-sent after 1,800 newer ones is still credited at most once.
    const doc = await t.hub.db.models.pageviews.findOne({ agencyId: 'ag-doc', id: pv.id });
    await t.hub.tracking.handle(ctxOf(claims), heartbeat(tabId, pv.id, 1_999, 1));
    await t.hub.tracking.handle(ctxOf(claims), heartbeat(tabId, pv.id, 150, 1));
    const again = await t.hub.db.models.pageviews.findOne({ agencyId: 'ag-doc', id: pv.id });
    expect(again!.engagedMs).toBe(doc!.engagedMs);
  }, 60_000);

  it('measures the memory of 5,000 open tabs', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const settle = async () => {
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 3; i++) gc();
      return process.memoryUsage().heapUsed;
    };
    const claims = claimsOf('ag-heap');
    const N = 5_000;
    const conns = Array.from({ length: N }, () => ({ id: randomUUID(), connected: true }));
    const tabIds = Array.from({ length: N }, () => randomUUID());
    const before = await settle();
    await Promise.all(
      tabIds.map(async (tabId, i) => {
        const pv = pageview(tabId, 0);
        await t.hub.tracking.handle(ctxOf(claims, conns[i]!), pv);
        await t.hub.tracking.handle(ctxOf(claims, conns[i]!), heartbeat(tabId, pv.id, 1));
      }),
    );
    const after = await settle();
    const perTab = Math.round((after - before) / N);
    console.warn(`[figure] heap per open tab (registry + presence + page view mirror): ${perTab} B`);
    expect(t.hub.tracking.tabs.size).toBeGreaterThanOrEqual(N);
    expect(perTab).toBeLessThan(4_096);
    for (const c of conns) {
      c.connected = false;
      t.hub.maintenance.disconnected(c.id, true);
    }
  }, 120_000);
});
