import { describe, expect, it } from 'vitest';
import type { HeartbeatEvent, LeaveEvent, PageviewEvent } from '@activity-hub/protocol';
import { EngagedLedger } from '../../../server/src/domain/engaged-ledger.ts';
import type { Claims } from '../../../server/src/domain/identity.ts';
import { emptySeqWindow } from '../../../server/src/domain/seq-window.ts';
import type { OpenPageview, TabState } from '../../../server/src/domain/tab-registry.ts';
import {
  ledgerHorizon,
  newPageview,
  onClosed,
  onHeartbeat,
  onLeave,
  onPageview,
  onUnstoredPageview,
  type Accounting,
  type Sender,
  type TrackingLimits,
} from '../../../server/src/domain/tracking-transitions.ts';
import { pageviewKey, sessionKey } from '../../../server/src/domain/tracking-types.ts';

/** The transitions run without a database: state in, writes and live deltas out. */
const T0 = 1_700_000_000_000;
const limits: TrackingLimits = { toleranceMs: 2_000, replayWindowMs: 60_000 };
const accounting = (): Accounting => ({ limits, ledger: new EngagedLedger(ledgerHorizon(limits)) });

const claims: Claims = {
  sub: 'u1',
  scope: 'track',
  agencyId: 'a1',
  locationId: 'l1',
  role: 'location',
  name: 'Ursula',
  email: '',
  exp: T0 / 1000 + 3600,
};
const sender: Sender = { claims, userAgent: 'x'.repeat(600), device: 'desktop' };
const TAB = 'tab-1';

const tabOf = (heardAt = T0): TabState => ({
  key: sessionKey('a1', 'u1', TAB),
  sessionId: TAB,
  agencyId: 'a1',
  userId: 'u1',
  currentPv: null,
  conns: 'c1',
  heardAt,
  creditedMs: 0,
  orphanedAt: 0,
  closeOnExpiry: true,
});

const pvEvent = (id: string, ageMs?: number): PageviewEvent => ({
  type: 'pageview',
  id,
  seq: 1,
  tabId: TAB,
  url: 'https://app.example.com/p?q=1',
  path: '/p',
  title: 'P',
  referrer: 'https://ref.example.com/',
  ...(ageMs === undefined ? {} : { ageMs }),
});

const heartbeat = (seq: number, engagedMs: number, ageMs?: number): HeartbeatEvent => ({
  type: 'heartbeat',
  id: `hb-${seq}`,
  seq,
  tabId: TAB,
  pageviewId: 'pv1',
  engagedMs,
  state: 'active',
  ...(ageMs === undefined ? {} : { ageMs }),
});

const leave = (seq: number, engagedMs: number, reason: LeaveEvent['reason']): LeaveEvent => ({
  type: 'leave',
  id: `lv-${seq}`,
  seq,
  tabId: TAB,
  pageviewId: 'pv1',
  engagedMs,
  reason,
});

/** A tab with page view pv1 opened at T0. */
function opened(start = T0): { tab: TabState; pv: OpenPageview } {
  const tab = tabOf(start);
  const rec = newPageview(limits, sender, pvEvent('pv1'), start);
  onPageview(tab, undefined, rec, sender);
  return { tab, pv: { rec, tabKey: tab.key, stored: emptySeqWindow(), pending: null, aliveWrittenAt: 0 } };
}

describe('onPageview', () => {
  it('opens the page view and its session from the token, and keeps a mirror without URLs', () => {
    const tab = tabOf();
    const key = pageviewKey('a1', 'pv1');
    const rec = newPageview(limits, sender, pvEvent('pv1'), T0);
    const { writes, live } = onPageview(tab, undefined, rec, sender);
    expect(writes).toHaveLength(1);
    const open = writes[0]!;
    if (open.kind !== 'open') throw new Error(open.kind);
    expect(open.pageview).toMatchObject({ key, userId: 'u1', agencyId: 'a1', url: 'https://app.example.com/p?q=1' });
    expect(open.pageview.referrer).toBe('https://ref.example.com/');
    expect(open.session).toMatchObject({ key: tab.key, id: TAB, startedAt: T0, endedAt: null, device: 'desktop' });
    expect(open.session.userAgent).toHaveLength(512);
    expect(rec.url).toBe('');
    expect(rec.referrer).toBe('');
    expect(tab.currentPv).toBe(key);
    expect(live).toMatchObject({ kind: 'pageview', isNewTab: true, entry: { pageviewId: 'pv1', state: 'active' } });
  });

  it('believes a backdated start only as far back as the replay window', () => {
    const rec = newPageview(limits, sender, pvEvent('pv1', 10 * 60_000), T0);
    expect(rec.startedAt).toBe(T0 - limits.replayWindowMs);
  });

  it("ends the tab's previous page view, navigating, at the new one's start", () => {
    const { tab, pv } = opened();
    pv.rec.lastSeenAt = T0 + 5_000;
    const next = newPageview(limits, sender, pvEvent('pv2'), T0 + 9_000);
    const { writes, live } = onPageview(tab, pv.rec, next, sender);
    expect(writes.map((w) => w.kind)).toEqual(['end', 'open']);
    expect(writes[0]).toMatchObject({ key: pv.rec.key, at: T0 + 9_000, reason: 'navigate' });
    expect(pv.rec).toMatchObject({ endedAt: T0 + 9_000, endReason: 'navigate' });
    expect(tab.currentPv).toBe(next.key);
    expect(live).toMatchObject({ isNewTab: false });
  });

  it('leaves a previous page view that started later (a late, backdated event) alone', () => {
    const { tab, pv } = opened();
    const older = newPageview(limits, sender, pvEvent('pv0', 30_000), T0);
    expect(onPageview(tab, pv.rec, older, sender).writes.map((w) => w.kind)).toEqual(['open']);
    expect(pv.rec.endedAt).toBeNull();
  });

  it('still shows presence for a page view the database could not take', () => {
    const rec = newPageview(limits, sender, pvEvent('pv1'), T0);
    expect(onUnstoredPageview(undefined, rec, 'mobile')).toMatchObject({
      kind: 'pageview',
      isNewTab: true,
      entry: { pageviewId: 'pv1', device: 'mobile' },
    });
    expect(onUnstoredPageview(opened().tab, rec, 'mobile')).toMatchObject({ isNewTab: false });
  });
});

describe('onHeartbeat', () => {
  it('credits engaged time clamped to the wall time the hub saw pass', () => {
    const acc = accounting();
    const { tab, pv } = opened();
    const { writes, live } = onHeartbeat(acc, {
      pv,
      tab,
      event: heartbeat(2, 60_000),
      device: 'desktop',
      now: T0 + 15_000,
    });
    expect(writes).toEqual([
      {
        kind: 'credit',
        key: pv.rec.key,
        agencyId: 'a1',
        userId: 'u1',
        credits: [{ seq: 2, ms: 17_000 }],
        lastSeenAt: T0 + 15_000,
      },
    ]);
    expect(pv.rec).toMatchObject({ engagedMs: 17_000, lastSeenAt: T0 + 15_000 });
    expect(tab.creditedMs).toBe(17_000);
    expect(live).toMatchObject({
      kind: 'progress',
      agencyId: 'a1',
      sessionId: TAB,
      pageviewId: 'pv1',
      engagedMs: 17_000,
      state: 'active',
      at: T0 + 15_000,
    });
  });

  it("caps one user's time per rollup bucket over all their tabs: no more than the bucket's time that passed", () => {
    const acc = accounting();
    const bucket = 1_700_000_100_000; // a 15-minute boundary
    const a = opened(bucket - 5_000);
    const b = opened(bucket - 5_000);
    const now = bucket + 10_000;
    // Each tab alone could be credited 15 s (its wall time); together, the bucket has seen 10 s.
    const first = onHeartbeat(acc, { ...a, event: heartbeat(2, 10_000, 0), device: 'desktop', now });
    const second = onHeartbeat(acc, { ...b, event: heartbeat(2, 10_000, 0), device: 'desktop', now });
    const ms = (t: typeof first) => (t.writes[0]!.kind === 'credit' ? t.writes[0]!.credits[0]!.ms : -1);
    expect(ms(first)).toBe(10_000);
    expect(ms(second)).toBe(0);
  });

  it('publishes no progress for a page view already ended', () => {
    const { tab, pv } = opened();
    pv.rec.endedAt = T0 + 1_000;
    const { live } = onHeartbeat(accounting(), {
      pv,
      tab,
      event: heartbeat(2, 500),
      device: 'desktop',
      now: T0 + 2_000,
    });
    expect(live).toBeNull();
  });
});

describe('onLeave', () => {
  it('navigating: credits, ends the page view at its last evidence, and keeps the tab online', () => {
    const { tab, pv } = opened();
    const t = onLeave(accounting(), {
      pv,
      tab,
      event: leave(2, 4_000, 'navigate'),
      device: 'desktop',
      now: T0 + 5_000,
    });
    expect(t.writes.map((w) => w.kind)).toEqual(['credit', 'end']);
    expect(t.writes[1]).toMatchObject({ at: T0 + 5_000, reason: 'navigate' });
    expect(tab.currentPv).toBeNull();
    expect(t.live).toBeNull();
  });

  it('unloading: also ends the session and takes the tab offline', () => {
    const { tab, pv } = opened();
    const t = onLeave(accounting(), { pv, tab, event: leave(2, 4_000, 'unload'), device: 'desktop', now: T0 + 5_000 });
    expect(t.writes.map((w) => w.kind)).toEqual(['credit', 'end', 'endSession']);
    expect(t.writes[1]).toMatchObject({ reason: 'leave' });
    expect(t.writes[2]).toMatchObject({ key: tab.key, at: T0 + 5_000 });
    expect(t.live).toEqual({ kind: 'offline', agencyId: 'a1', sessionId: TAB, pageviewId: 'pv1', at: T0 + 5_000 });
  });

  it('on a page view already ended: credits only, and publishes nothing', () => {
    const { tab, pv } = opened();
    Object.assign(pv.rec, { endedAt: T0 + 3_000, endReason: 'navigate', lastSeenAt: T0 + 3_000 });
    const t = onLeave(accounting(), { pv, tab, event: leave(3, 1_000, 'unload'), device: 'desktop', now: T0 + 9_000 });
    expect(t.writes.map((w) => w.kind)).toEqual(['credit', 'endSession']);
    expect(t.live).toBeNull();
  });
});

describe('onClosed', () => {
  it('ends the mirror and takes the tab offline at the close time', () => {
    const { pv } = opened();
    const closed = { ...pv.rec, endedAt: T0 + 7_000 };
    expect(onClosed(closed, pv.rec, 'disconnect')).toEqual({
      kind: 'offline',
      agencyId: 'a1',
      sessionId: TAB,
      pageviewId: 'pv1',
      at: T0 + 7_000,
    });
    expect(pv.rec).toMatchObject({ endedAt: T0 + 7_000, endReason: 'disconnect' });
  });
});
