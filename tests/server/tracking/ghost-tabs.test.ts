import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceSnapshot, TrackEvent } from '@activity-hub/protocol';
import type { Claims } from '../../../server/src/domain/identity.ts';
import type { TrackContext } from '../../../server/src/domain/tracking-service.ts';
import { apiGet, devToken, eventually, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';

const GRACE_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestHub;
beforeAll(async () => {
  t = await startHub({ FLUSH_INTERVAL_MS: '20', DISCONNECT_GRACE_MS: String(GRACE_MS) });
});
afterAll(async () => {
  await t.stop();
});

async function presentTabs(agencyId: string): Promise<string[]> {
  const token = await devToken(t.url, { userId: 'boss', role: 'agency', agencyId });
  const r = await apiGet<PresenceSnapshot>(t.url, '/api/v1/presence', token);
  expect(r.status).toBe(200);
  return r.body.entries.map((e) => e.sessionId).sort();
}

/** One tab of the model: its socket (as the registry sees it) and what it sent. */
interface ModelTab {
  tabId: string;
  conn: { id: string; connected: boolean } | null;
  /** Sent an event on its current socket (the hub learns a socket's tab from its events). */
  spoke: boolean;
  pv: string | null;
  seq: number;
  /** Sent and not acked ok yet: the tracker re-sends these on its next connection. */
  outbox: TrackEvent[];
}

type Cmd =
  | { op: 'connect'; tab: number }
  | { op: 'pageview'; tab: number }
  | { op: 'heartbeat'; tab: number }
  | { op: 'disconnect'; tab: number }
  | { op: 'yield'; ms: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ op: fc.constant('connect' as const), tab: fc.nat(2) }),
  fc.record({ op: fc.constant('pageview' as const), tab: fc.nat(2) }),
  fc.record({ op: fc.constant('heartbeat' as const), tab: fc.nat(2) }),
  fc.record({ op: fc.constant('disconnect' as const), tab: fc.nat(2) }),
  fc.record({ op: fc.constant('yield' as const), ms: fc.constantFrom(0, 1, 5) }),
);

describe('ghost tabs (a closed socket whose events were still queued)', () => {
  it('at quiescence, presence equals the connected tabs and every page view of a gone tab is ended once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 40 }), async (cmds) => {
        const agencyId = `ghost-${randomUUID()}`;
        const claims: Claims = {
          sub: 'u1',
          scope: 'track',
          agencyId,
          locationId: 'l1',
          role: 'location',
          name: 'U',
          email: '',
          exp: Math.floor(Date.now() / 1000) + 3600,
        };
        const tabs: ModelTab[] = [0, 1, 2].map(() => ({
          tabId: randomUUID(),
          conn: null,
          spoke: false,
          pv: null,
          seq: 0,
          outbox: [],
        }));
        const inFlight: Promise<unknown>[] = [];
        const send = (m: ModelTab, e: TrackEvent) => {
          const ctx: TrackContext = { claims, userAgent: 'fc', device: 'desktop', connection: m.conn };
          m.spoke = true;
          if (!m.outbox.includes(e)) m.outbox.push(e);
          inFlight.push(
            t.hub.tracking.handle(ctx, e).then(
              () => (m.outbox = m.outbox.filter((x) => x !== e)),
              () => {},
            ),
          );
        };
        for (const c of cmds) {
          if (c.op === 'yield') {
            await sleep(c.ms);
            continue;
          }
          const m = tabs[c.tab]!;
          if (c.op === 'connect') {
            if (m.conn?.connected) continue;
            m.conn = { id: randomUUID(), connected: true };
            m.spoke = false;
            for (const e of m.outbox) send(m, e);
          } else if (c.op === 'disconnect') {
            if (!m.conn?.connected) continue;
            m.conn.connected = false;
            t.hub.maintenance.disconnected(m.conn.id, false);
          } else if (!m.conn?.connected) {
            continue;
          } else if (c.op === 'pageview') {
            m.pv = randomUUID();
            send(m, {
              type: 'pageview',
              id: m.pv,
              seq: m.seq++,
              tabId: m.tabId,
              url: 'https://x/p',
              path: '/p',
              title: '',
              referrer: '',
            });
          } else if (m.pv) {
            const hb = { type: 'heartbeat' as const, id: randomUUID(), seq: m.seq++, tabId: m.tabId };
            send(m, { ...hb, pageviewId: m.pv, engagedMs: 10, state: 'active' });
          }
        }
        await Promise.all(inFlight);
        // Quiescence: the grace, a tick of the grace wheel and a flush.
        await sleep(GRACE_MS + 250);
        const live = tabs.filter((m) => m.conn?.connected && m.spoke && m.pv).map((m) => m.tabId);
        const gone = tabs.filter((m) => !live.includes(m.tabId)).map((m) => m.tabId);
        await eventually(
          async () => JSON.stringify(await presentTabs(agencyId)) === JSON.stringify(live.sort()),
          3_000,
          50,
        );
        const docs = async () =>
          t.hub.db.models.pageviews
            .find({ agencyId }, { projection: { sessionId: 1, endedAt: 1, endReason: 1 } })
            .toArray();
        await eventually(
          async () => (await docs()).every((d) => !gone.includes(d.sessionId) || d.endedAt !== null),
          3_000,
          50,
        );
        const ended = await docs();
        // Each live tab keeps exactly one open page view; gone tabs none.
        for (const id of live) expect(ended.filter((d) => d.sessionId === id && d.endedAt === null)).toHaveLength(1);
        // Nothing of a gone tab is left in the registry, so nothing keeps it alive.
        for (const id of gone) expect([...t.hub.tracking.tabs.allTabs()].some((x) => x.sessionId === id)).toBe(false);
        // Ended once: after another grace and sweep nothing about an ended page view changes.
        await sleep(GRACE_MS + 100);
        const later = await docs();
        for (const d of ended.filter((x) => x.endedAt !== null)) expect(later.find((x) => x._id === d._id)).toEqual(d);
        for (const m of tabs) if (m.conn?.connected) t.hub.maintenance.disconnected(m.conn.id, false);
      }),
      { numRuns: 25, timeout: 20_000 },
    );
  }, 180_000);

  it('a real socket that sends 80 page views, the disconnect packet and closes is offline within the grace', async () => {
    const agencyId = `ghost-real-${randomUUID()}`;
    const token = await devToken(t.url, { userId: 'u', role: 'location', agencyId, locationId: 'l' });
    const tr = await FakeTracker.connect(t.url, token, { reconnection: false });
    const frames = Array.from({ length: 80 }, (_, i) => tr.pageview(`/p${i}`));
    // Raw frames, no acks awaited, then the namespace disconnect packet and the close.
    for (const f of frames) tr.socket.emit('event', f as never, (() => {}) as never);
    // The hub has begun applying them (most are still queued) when the disconnect packet comes.
    const known = () => [...t.hub.tracking.tabs.allTabs()].some((x) => x.sessionId === tr.tabId);
    await eventually(known, 3_000, 1);
    tr.socket.disconnect();
    const closedAt = Date.now();
    await eventually(async () => (await presentTabs(agencyId)).length > 0 || Date.now() - closedAt > 1_000, 3_000, 20);
    await eventually(async () => (await presentTabs(agencyId)).length === 0, GRACE_MS + 3_000, 50);
    const open = await t.hub.db.models.pageviews.countDocuments({ agencyId, endedAt: null });
    expect(open).toBe(0);
    expect([...t.hub.tracking.tabs.allTabs()].some((x) => x.sessionId === tr.tabId)).toBe(false);
    // And it stays so past another grace and keep-alive round.
    await sleep(GRACE_MS * 2);
    expect(await presentTabs(agencyId)).toEqual([]);
    expect(await t.hub.db.models.pageviews.countDocuments({ agencyId, endedAt: null })).toBe(0);
  });
});
