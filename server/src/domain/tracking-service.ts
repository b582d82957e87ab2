import type {
  DeviceClass,
  HeartbeatEvent,
  LeaveEvent,
  PageviewEvent,
  PresenceEntry,
  TrackEvent,
} from '@activity-hub/protocol';
import { AppError } from './app-error.ts';
import { creditEngaged, eventTime } from './engagement.ts';
import type { Claims } from './identity.ts';
import type { LiveActivity } from './live-activity.ts';
import type { Clock, TrackingRepository } from './ports.ts';
import { TabRegistry, type OpenPageview } from './tab-registry.ts';
import { sessionKey, type PageviewRecord, type WriteOp } from './tracking-types.ts';
import type { WriteBatcher } from './write-batcher.ts';

/**
 * A write in flight, wrapped: an async function returning a bare promise would wait for it,
 * and the per-tab queue must not wait for the database.
 */
interface Written {
  written: Promise<void>;
}

/** Who sent an event: identity from the verified token only, never from the event body. */
export interface TrackContext {
  claims: Claims;
  userAgent: string;
  device: DeviceClass;
  /** The socket id, or null for the unload fallback over HTTP. */
  connectionId: string | null;
}

export interface TrackingDeps {
  repo: TrackingRepository;
  live: LiveActivity;
  batcher: WriteBatcher;
  clock: Clock;
  toleranceMs: number;
}

/**
 * Applies tracker events: page views open and close, heartbeats credit engaged time clamped
 * to the wall time the hub saw pass. Each call resolves when its write is durable, so the
 * caller's ack means stored; an event id seen before resolves as success and is stored once.
 */
export class TrackingService {
  readonly tabs = new TabRegistry();

  constructor(private readonly deps: TrackingDeps) {}

  /** Handles one validated event. Events of one tab are applied in order. */
  async handle(ctx: TrackContext, event: TrackEvent): Promise<void> {
    const tabKey = sessionKey(ctx.claims.agencyId, ctx.claims.sub, event.tabId);
    // The in-memory step runs in order per tab; the durable write is awaited outside the queue.
    const { written } = await this.tabs.serialize(tabKey, () => this.apply(ctx, tabKey, event));
    await written;
  }

  private async apply(ctx: TrackContext, tabKey: string, event: TrackEvent): Promise<Written> {
    const tab = this.tabs.touchTab(tabKey, event.tabId, ctx, this.deps.clock());
    if (tab.userId !== ctx.claims.sub) throw new AppError('forbidden', 'This tab belongs to another user');
    if (event.type === 'pageview') return this.pageview(ctx, tabKey, event);
    const pv = await this.openPageview(`${ctx.claims.agencyId}:${event.pageviewId}`);
    if (!pv) throw new AppError('not_found', 'Unknown page view');
    if (pv.rec.userId !== ctx.claims.sub || pv.rec.agencyId !== ctx.claims.agencyId) {
      throw new AppError('forbidden', 'This page view belongs to another user');
    }
    // A tab continuing here after its instance died or restarted sends no new page view: adopt
    // its open one, so this instance keeps it alive and closes it if the tab goes away.
    if (event.type === 'heartbeat' && tab.currentPv === null && pv.rec.endedAt === null) tab.currentPv = pv.rec.key;
    const seen = this.tabs.seen(pv, event.id);
    if (seen) return { written: seen };
    return {
      written: event.type === 'heartbeat' ? this.heartbeat(pv, event, ctx.device) : this.leave(pv, tabKey, event),
    };
  }

  private async pageview(ctx: TrackContext, tabKey: string, e: PageviewEvent): Promise<Written> {
    const now = this.deps.clock();
    const key = `${ctx.claims.agencyId}:${e.id}`;
    const existing = await this.openPageview(key);
    if (existing) {
      // Only the owner's re-send is a duplicate; anyone else reusing the id must neither adopt it nor be told "stored".
      if (existing.rec.userId !== ctx.claims.sub)
        throw new AppError('forbidden', 'This page view belongs to another user');
      // Re-sent to another instance than the one that stored it: adopt it like a heartbeat does.
      const tab = this.tabs.tab(tabKey);
      if (tab && tab.currentPv === null && existing.rec.endedAt === null) tab.currentPv = key;
      return { written: this.tabs.seen(existing, e.id) ?? Promise.resolve() };
    }
    const at = eventTime(now, e.ageMs);
    const tab = this.tabs.tab(tabKey)!;
    const ops: WriteOp[] = [];
    const previous = tab.currentPv ? this.tabs.pageview(tab.currentPv) : undefined;
    if (previous && previous.rec.endedAt === null && previous.rec.startedAt <= at) {
      // The next page view of the same tab ends the previous one.
      previous.rec.endedAt = Math.max(previous.rec.lastSeenAt, at);
      previous.rec.endReason = 'navigate';
      ops.push({
        kind: 'end',
        key: previous.rec.key,
        agencyId: previous.rec.agencyId,
        userId: previous.rec.userId,
        at: previous.rec.endedAt,
        reason: 'navigate',
      });
    }
    const { claims } = ctx;
    const rec: PageviewRecord = {
      key,
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
      eventIds: [],
    };
    ops.push({
      kind: 'open',
      pageview: rec,
      session: {
        key: tabKey,
        id: e.tabId,
        userId: claims.sub,
        userName: claims.name,
        agencyId: claims.agencyId,
        locationId: claims.locationId,
        userAgent: ctx.userAgent.slice(0, 512),
        device: ctx.device,
        startedAt: at,
        lastSeenAt: at,
        endedAt: null,
      },
    });
    const pv = this.tabs.addPageview(rec, tabKey);
    const isNewTab = tab.currentPv === null;
    tab.currentPv = key;
    const written = this.track(pv, e.id, this.deps.batcher.submit(ops, true));
    void this.deps.live.pageview(
      {
        sessionId: e.tabId,
        userId: claims.sub,
        name: claims.name,
        agencyId: claims.agencyId,
        locationId: claims.locationId,
        pageviewId: e.id,
        path: e.path,
        title: e.title,
        onlineSince: at,
        pageSince: at,
        engagedMs: 0,
        state: 'active',
        device: ctx.device,
        updatedAt: at,
      },
      isNewTab,
    );
    return { written };
  }

  private heartbeat(pv: OpenPageview, e: HeartbeatEvent, device: DeviceClass): Promise<void> {
    const ms = this.credit(pv, e.engagedMs, e.ageMs);
    const op: WriteOp = {
      kind: 'credit',
      key: pv.rec.key,
      sessionKey: pv.tabKey,
      agencyId: pv.rec.agencyId,
      userId: pv.rec.userId,
      credits: [{ eventId: e.id, ms }],
      lastSeenAt: pv.rec.lastSeenAt,
    };
    const written = this.track(pv, e.id, this.deps.batcher.submit([op], false));
    if (pv.rec.endedAt === null) {
      const { rec } = pv;
      // Presence may have forgotten an open page view (a restarted single instance): rebuild it.
      // The tab's first page is not at hand, so online-since restarts at this page's start.
      const restore = (): PresenceEntry => ({
        sessionId: rec.sessionId,
        userId: rec.userId,
        name: rec.userName,
        agencyId: rec.agencyId,
        locationId: rec.locationId,
        pageviewId: rec.id,
        path: rec.path,
        title: rec.title,
        onlineSince: rec.startedAt,
        pageSince: rec.startedAt,
        engagedMs: rec.engagedMs,
        state: e.state,
        device,
        updatedAt: rec.lastSeenAt,
      });
      void this.deps.live.progress(
        rec.agencyId,
        rec.sessionId,
        rec.id,
        rec.engagedMs,
        e.state,
        rec.lastSeenAt,
        restore,
      );
    }
    return written;
  }

  private leave(pv: OpenPageview, tabKey: string, e: LeaveEvent): Promise<void> {
    const ms = this.credit(pv, e.engagedMs, e.ageMs);
    const { rec } = pv;
    const ops: WriteOp[] = [
      {
        kind: 'credit',
        key: rec.key,
        sessionKey: pv.tabKey,
        agencyId: rec.agencyId,
        userId: rec.userId,
        credits: [{ eventId: e.id, ms }],
        lastSeenAt: rec.lastSeenAt,
      },
    ];
    const wasOpen = rec.endedAt === null;
    if (wasOpen) {
      rec.endedAt = rec.lastSeenAt;
      rec.endReason = e.reason === 'navigate' ? 'navigate' : 'leave';
      ops.push({
        kind: 'end',
        key: rec.key,
        agencyId: rec.agencyId,
        userId: rec.userId,
        at: rec.endedAt,
        reason: rec.endReason,
      });
    }
    const tab = this.tabs.tab(tabKey);
    if (tab?.currentPv === rec.key) tab.currentPv = null;
    if (e.reason === 'unload') {
      ops.push({ kind: 'endSession', key: tabKey, agencyId: rec.agencyId, userId: rec.userId, at: rec.lastSeenAt });
      if (wasOpen) void this.deps.live.offline(rec.agencyId, rec.sessionId, rec.id, rec.lastSeenAt);
    }
    const written = this.track(pv, e.id, this.deps.batcher.submit(ops, true));
    void written.then(
      () => this.tabs.forgetPageview(rec.key),
      () => {},
    );
    return written;
  }

  /** Credits clamped engaged time to the in-memory mirror and returns the credited ms. */
  private credit(pv: OpenPageview, claimedMs: number, ageMs: number | undefined): number {
    const at = eventTime(this.deps.clock(), ageMs, pv.rec.startedAt);
    const ms = creditEngaged(pv.rec, claimedMs, at, this.deps.toleranceMs);
    pv.rec.engagedMs += ms;
    if (pv.rec.endedAt === null) pv.rec.lastSeenAt = Math.max(pv.rec.lastSeenAt, at);
    return ms;
  }

  /** Records an event as pending; on failure the mirror is dropped so the next event reloads it. */
  private track(pv: OpenPageview, eventId: string, write: Promise<void>): Promise<void> {
    this.tabs.markPending(pv, eventId, write);
    return write.catch((err: unknown) => {
      this.tabs.forgetPageview(pv.rec.key);
      throw err instanceof AppError ? err : new AppError('unavailable', 'Storage is unavailable');
    });
  }

  private async openPageview(key: string): Promise<OpenPageview | undefined> {
    return this.tabs.pageview(key) ?? this.tabs.load(key, () => this.deps.repo.loadPageview(key));
  }
}
