import type { DeviceClass, HeartbeatEvent, LeaveEvent, PageviewEvent } from '@activity-hub/protocol';
import type { EngagedLedger } from './engaged-ledger.ts';
import { creditEngaged, eventTime } from './engagement.ts';
import type { Claims } from './identity.ts';
import { compositeKey } from './keys.ts';
import { presenceOf, type LiveDelta } from './live-deltas.ts';
import type { OpenPageview, TabState } from './tab-registry.ts';
import {
  creditOp,
  endOp,
  pageviewKey,
  type ClosedPageview,
  type PageviewRecord,
  type WriteOp,
} from './tracking-types.ts';

/**
 * Tracking as plain transitions: each takes the in-memory state an event touches (its tab and
 * page view, changed in place: no copies on the hot path) and the event, and returns the writes
 * to store before the ack and the live update to publish. No I/O, no clock, no timers: the
 * service (tracking-service.ts) loads the state, runs a transition and applies what it returns.
 */

/** What a tracker may claim, on the hub's terms. */
export interface TrackingLimits {
  /** Slack of engaged time over wall time (TIMING.engagedToleranceMs). */
  toleranceMs: number;
  /** How far back time the hub did not witness is credited (TIMING.replayWindowMs). */
  replayWindowMs: number;
}

/** The limits, and the per-user ledger that caps engaged time over all of a user's tabs. */
export interface Accounting {
  limits: TrackingLimits;
  ledger: EngagedLedger;
}

/** The writes an event needs stored before its ack, and the live update it causes (if any). */
export interface Transition {
  writes: WriteOp[];
  live: LiveDelta | null;
}

/** Who sent an event: identity from the verified token only, never from the event body. */
export interface Sender {
  claims: Claims;
  userAgent: string;
  device: DeviceClass;
}

/** An event on a known page view, as of the hub's `now`. */
export interface Step<E> {
  pv: OpenPageview;
  tab: TabState;
  event: E;
  device: DeviceClass;
  now: number;
}

/** How far back the ledger must remember: evidence older than that is never accepted. */
export const ledgerHorizon = (l: TrackingLimits): number => l.replayWindowMs + 2 * l.toleranceMs;

/** A claimed age, believed only up to the replay window. */
const age = (l: TrackingLimits, ageMs: number | undefined): number => Math.min(ageMs ?? 0, l.replayWindowMs);

/** The record of a new page view: identity from the verified token, the rest from the event. */
export function newPageview(l: TrackingLimits, sender: Sender, e: PageviewEvent, now: number): PageviewRecord {
  const { claims } = sender;
  // A backdated start is believed only as far back as the replay window.
  const at = eventTime(now, age(l, e.ageMs));
  return {
    key: pageviewKey(claims.agencyId, e.id),
    id: e.id,
    sessionId: e.tabId,
    userId: claims.sub,
    userName: claims.name,
    agencyId: claims.agencyId,
    locationId: claims.locationId,
    url: e.url,
    path: e.path,
    title: e.title,
    referrer: e.referrer,
    startedAt: at,
    lastSeenAt: at,
    endedAt: null,
    engagedMs: 0,
    endReason: null,
  };
}

/**
 * A page view shown before it is stored: a navigation newer than anything seen from its tab
 * (not waiting for the lookup's round trip), or one the database refused (it is out). Presence
 * shows where the user is from the verified token and the event alone.
 */
export function onUnstoredPageview(tab: TabState | undefined, rec: PageviewRecord, device: DeviceClass): LiveDelta {
  return { kind: 'pageview', entry: presenceOf(rec, 'active', device), isNewTab: !tab?.currentPv };
}

/**
 * A page view shown before its lookup turned out not to be new (a re-send, or a reused id of
 * someone else's): the tab's presence goes back to `current`, its real page view, if still open.
 */
export function onShownNotNew(current: PageviewRecord | undefined, device: DeviceClass): LiveDelta | null {
  if (!current || current.endedAt !== null) return null;
  return { kind: 'pageview', entry: presenceOf(current, 'active', device), isNewTab: false };
}

/**
 * A new page view `rec` on `tab`: it ends the tab's previous one (`previous`, if still open and
 * older), opens the page view and its session, and becomes the tab's current page. `rec` is
 * kept as the in-memory mirror, without its URLs (those stay only in the stored document).
 */
export function onPageview(
  tab: TabState,
  previous: PageviewRecord | undefined,
  rec: PageviewRecord,
  sender: Sender,
): Transition {
  const at = rec.startedAt;
  const writes: WriteOp[] = [];
  if (previous && previous.endedAt === null && previous.startedAt <= at) {
    // The next page view of the same tab ends the previous one.
    const endedAt = Math.max(previous.lastSeenAt, at);
    writes.push(endOp(Object.assign(previous, { endedAt, endReason: 'navigate' as const })));
  }
  const { claims } = sender;
  writes.push({
    kind: 'open',
    // A copy: the mirror changes as heartbeats arrive, the inserted document must not.
    pageview: { ...rec },
    session: {
      key: tab.key,
      id: tab.sessionId,
      userId: claims.sub,
      userName: claims.name,
      agencyId: claims.agencyId,
      locationId: claims.locationId,
      userAgent: sender.userAgent.slice(0, 512),
      device: sender.device,
      startedAt: at,
      lastSeenAt: at,
      endedAt: null,
    },
  });
  rec.url = '';
  rec.referrer = '';
  const isNewTab = tab.currentPv === null;
  tab.currentPv = rec.key;
  const live: LiveDelta = { kind: 'pageview', entry: presenceOf(rec, 'active', sender.device), isNewTab };
  return { writes, live };
}

/** A heartbeat: credits clamped engaged time, and moves the tab's presence on (while the page view is open). */
export function onHeartbeat(acc: Accounting, s: Step<HeartbeatEvent>): Transition {
  const ms = credit(acc, s);
  const { rec } = s.pv;
  const writes = [creditOp(rec, s.event.seq, ms)];
  if (rec.endedAt !== null) return { writes, live: null };
  const { agencyId, sessionId, id: pageviewId, engagedMs, lastSeenAt: at } = rec;
  const { state } = s.event;
  return {
    writes,
    live: { kind: 'progress', agencyId, sessionId, pageviewId, engagedMs, state, at, rec, device: s.device },
  };
}

/**
 * A leave: credits the last engaged time and ends the page view at its last evidence. An
 * unload also ends the tab's session and takes the tab offline.
 */
export function onLeave(acc: Accounting, s: Step<LeaveEvent>): Transition {
  const ms = credit(acc, s);
  const { pv, tab, event } = s;
  const { rec } = pv;
  const writes: WriteOp[] = [creditOp(rec, event.seq, ms)];
  const wasOpen = rec.endedAt === null;
  if (wasOpen) {
    const endReason = event.reason === 'navigate' ? ('navigate' as const) : ('leave' as const);
    writes.push(endOp(Object.assign(rec, { endedAt: rec.lastSeenAt, endReason })));
  }
  if (tab.currentPv === rec.key) tab.currentPv = null;
  let live: LiveDelta | null = null;
  if (event.reason === 'unload') {
    const { agencyId, userId, lastSeenAt: at } = rec;
    writes.push({ kind: 'endSession', key: tab.key, agencyId, userId, at });
    if (wasOpen) live = { kind: 'offline', agencyId, sessionId: rec.sessionId, pageviewId: rec.id, at };
  }
  return { writes, live };
}

/**
 * A page view storage closed (the sweeper, or a disconnected tab's expiry): the mirror, if this
 * instance holds one, ends too, and the tab goes offline unless it shows another page by now.
 */
export function onClosed(
  closed: ClosedPageview,
  mirror: PageviewRecord | undefined,
  reason: 'timeout' | 'disconnect',
): LiveDelta {
  if (mirror) Object.assign(mirror, { endedAt: closed.endedAt, endReason: reason });
  const { agencyId, sessionId, id: pageviewId, endedAt: at } = closed;
  return { kind: 'offline', agencyId, sessionId, pageviewId, at };
}

/**
 * Credits clamped engaged time to the mirror and returns the credited ms. Three clamps, all on
 * the hub's clock: the page view's wall time (engagement.ts); the tab's wall time since this
 * instance first heard from it, plus the replay window; and the user's engaged time per rollup
 * bucket over all their tabs (engaged-ledger.ts).
 */
function credit({ limits, ledger }: Accounting, { pv, tab, event, now }: Step<HeartbeatEvent | LeaveEvent>): number {
  const { rec } = pv;
  const { toleranceMs, replayWindowMs } = limits;
  const at = eventTime(now, age(limits, event.ageMs), rec.startedAt);
  let ms = creditEngaged(rec, event.engagedMs, at, toleranceMs);
  ms = Math.min(ms, Math.max(0, now - tab.heardAt + replayWindowMs + toleranceMs - tab.creditedMs));
  ms = ledger.grant(compositeKey(rec.agencyId, rec.userId), ms, at, now);
  rec.engagedMs += ms;
  tab.creditedMs += ms;
  if (rec.endedAt === null) rec.lastSeenAt = Math.max(rec.lastSeenAt, at);
  return ms;
}
