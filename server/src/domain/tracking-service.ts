import type { DeviceClass, HeartbeatEvent, LeaveEvent, PageviewEvent, TrackEvent } from '@activity-hub/protocol';
import { AppError } from './app-error.ts';
import { creditEngaged, eventTime } from './engagement.ts';
import type { Claims } from './identity.ts';
import { presenceOf, type LiveActivity } from './live-activity.ts';
import { BatchLoader } from './batch-loader.ts';
import type { Clock, StoredPageview, TrackingRepository } from './ports.ts';
import { EngagedLedger } from './engaged-ledger.ts';
import { compositeKey } from './keys.ts';
import { TabRegistry, type LiveConnection, type OpenPageview, type TabState } from './tab-registry.ts';
import { creditOp, endOp, pageviewKey, sessionKey, type PageviewRecord, type WriteOp } from './tracking-types.ts';
import type { WriteBatcher } from './write-batcher.ts';

/**
 * A write in flight, wrapped: an async function returning a bare promise would wait for it,
 * and the per-tab queue must not wait for the database.
 */
interface Written {
  written: Promise<void>;
}

/** Refuses a page view of someone else (ids come from browsers and can be guessed or reused). */
function assertOwner(pv: OpenPageview, claims: Claims): void {
  if (pv.rec.userId !== claims.sub || pv.rec.agencyId !== claims.agencyId) {
    throw new AppError('forbidden', 'This page view belongs to another user');
  }
}

/** Who sent an event: identity from the verified token only, never from the event body. */
export interface TrackContext {
  claims: Claims;
  userAgent: string;
  device: DeviceClass;
  /** The socket (its id and whether it is still open), or null for the unload fallback over HTTP. */
  connection: LiveConnection | null;
}

export interface TrackingDeps {
  repo: TrackingRepository;
  live: LiveActivity;
  batcher: WriteBatcher;
  clock: Clock;
  toleranceMs: number;
  /** How far back time the hub did not witness is credited (TIMING.replayWindowMs). */
  replayWindowMs: number;
}

/**
 * Applies tracker events: page views open and close, heartbeats credit engaged time clamped
 * to the wall time the hub saw pass. Each call resolves when its write is durable, so the
 * caller's ack means stored; an event id seen before resolves as success and is stored once.
 */
export class TrackingService {
  readonly tabs = new TabRegistry();
  /** Per user and rollup bucket: never more engaged time than the bucket is long. */
  readonly ledger: EngagedLedger;
  /** Page view lookups of one turn of the event loop, fetched together. */
  private readonly loader: BatchLoader<StoredPageview>;

  constructor(private readonly deps: TrackingDeps) {
    this.ledger = new EngagedLedger(deps.replayWindowMs + 2 * deps.toleranceMs);
    this.loader = new BatchLoader((keys) => deps.repo.loadPageviews(keys));
  }

  /** Handles one validated event. Events of one tab are applied in order. */
  async handle(ctx: TrackContext, event: TrackEvent): Promise<void> {
    const tabKey = sessionKey(ctx.claims.agencyId, ctx.claims.sub, event.tabId);
    // The in-memory step runs in order per tab; the durable write is awaited outside the queue.
    const { written } = await this.tabs.serialize(tabKey, () => this.apply(ctx, tabKey, event));
    await written;
  }

  private async apply(ctx: TrackContext, tabKey: string, event: TrackEvent): Promise<Written> {
    // Queued behind others when its socket closed: the ack could not arrive, so the tracker
    // still holds it and re-sends it on its next connection. Applying it now would only revive
    // a tab that is gone.
    if (ctx.connection && !ctx.connection.connected) throw new AppError('unavailable', 'The connection closed');
    if (event.type === 'pageview') return this.pageview(ctx, tabKey, event);
    // Refused events allocate nothing: the tab is touched only once the event is accepted.
    const pv = await this.openPageview(pageviewKey(ctx.claims.agencyId, event.pageviewId));
    if (!pv) throw new AppError('not_found', 'Unknown page view');
    assertOwner(pv, ctx.claims);
    // The tab key carries the user, so a tab here is always the sender's own.
    const tab = this.touch(ctx, tabKey, event.tabId);
    if (event.type === 'heartbeat') this.tabs.adopt(tab, pv);
    const seen = this.tabs.seen(pv, event.seq);
    if (seen) return { written: seen };
    return {
      written:
        event.type === 'heartbeat' ? this.heartbeat(pv, tab, event, ctx.device) : this.leave(pv, tab, tabKey, event),
    };
  }

  private touch(ctx: TrackContext, tabKey: string, tabId: string): TabState {
    const who = { agencyId: ctx.claims.agencyId, userId: ctx.claims.sub };
    return this.tabs.touchTab(tabKey, tabId, who, ctx.connection, this.deps.clock());
  }

  private async pageview(ctx: TrackContext, tabKey: string, e: PageviewEvent): Promise<Written> {
    const now = this.deps.clock();
    const key = pageviewKey(ctx.claims.agencyId, e.id);
    // A backdated start is believed only as far back as the replay window.
    const at = eventTime(now, this.age(e.ageMs));
    // A navigation of a tab this instance follows, newer than anything it has seen from the tab,
    // reaches the live view now rather than after the page view lookup's database round trip.
    const published = this.isNewer(tabKey, e.seq) && this.publishPageview(ctx, tabKey, key, e, at);
    const existing = await this.openPageview(key).catch((err: unknown) => {
      // The database is out: the event is refused (the tracker keeps it and retries), but the
      // live view still shows where the user is, from the verified token and this event alone.
      if (!published && err instanceof AppError && err.code === 'unavailable') {
        this.publishPageview(ctx, tabKey, key, e, at);
      }
      throw err;
    });
    if (existing) {
      // Only the owner's re-send is a duplicate; anyone else reusing the id must neither adopt it nor be told "stored".
      assertOwner(existing, ctx.claims);
      // Re-sent to another instance than the one that stored it: adopt it like a heartbeat does.
      this.tabs.adopt(this.touch(ctx, tabKey, e.tabId), existing);
      return { written: this.tabs.seen(existing, e.seq) ?? Promise.resolve() };
    }
    const tab = this.touch(ctx, tabKey, e.tabId);
    const ops: WriteOp[] = [];
    const previous = tab.currentPv ? this.tabs.pageview(tab.currentPv) : undefined;
    if (previous && previous.rec.endedAt === null && previous.rec.startedAt <= at) {
      // The next page view of the same tab ends the previous one.
      const ended = Object.assign(previous.rec, {
        endedAt: Math.max(previous.rec.lastSeenAt, at),
        endReason: 'navigate' as const,
      });
      ops.push(endOp(ended));
    }
    const { claims } = ctx;
    const rec = this.record(ctx, key, e, at);
    ops.push({
      kind: 'open',
      // A copy: the mirror below changes as heartbeats arrive, the inserted document must not.
      pageview: { ...rec },
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
    // The mirror keeps what presence and crediting need; the URLs stay only in the document.
    const pv = this.tabs.addPageview(Object.assign(rec, { url: '', referrer: '' }), tabKey);
    const isNewTab = tab.currentPv === null;
    tab.currentPv = key;
    const written = this.track(pv, e.seq, this.deps.batcher.submit(ops, true));
    if (!published) void this.deps.live.pageview(presenceOf(rec, 'active', ctx.device), isNewTab);
    return { written };
  }

  /** Whether the tab's current page view is in memory and every seq seen from it is below `seq`. */
  private isNewer(tabKey: string, seq: number): boolean {
    const current = this.tabs.tab(tabKey)?.currentPv;
    const pv = current ? this.tabs.pageview(current) : undefined;
    return pv !== undefined && this.tabs.highestSeq(pv) < seq;
  }

  /** Shows a page view on the live view from the verified token and the event alone. */
  private publishPageview(ctx: TrackContext, tabKey: string, key: string, e: PageviewEvent, at: number): true {
    const isNewTab = !this.tabs.tab(tabKey)?.currentPv;
    void this.deps.live.pageview(presenceOf(this.record(ctx, key, e, at), 'active', ctx.device), isNewTab);
    return true;
  }

  /** The record of a new page view: identity from the verified token, the rest from the event. */
  private record(ctx: TrackContext, key: string, e: PageviewEvent, at: number): PageviewRecord {
    const { claims } = ctx;
    return {
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
    };
  }

  private heartbeat(pv: OpenPageview, tab: TabState, e: HeartbeatEvent, device: DeviceClass): Promise<void> {
    const ms = this.credit(pv, tab, e.engagedMs, e.ageMs);
    const { rec } = pv;
    const written = this.track(pv, e.seq, this.deps.batcher.submit([creditOp(rec, e.seq, ms)], false));
    if (rec.endedAt === null) {
      // Presence may have forgotten an open page view (a restarted single instance): rebuild it.
      const restore = () => presenceOf(rec, e.state, device);
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

  private leave(pv: OpenPageview, tab: TabState, tabKey: string, e: LeaveEvent): Promise<void> {
    const ms = this.credit(pv, tab, e.engagedMs, e.ageMs);
    const { rec } = pv;
    const ops: WriteOp[] = [creditOp(rec, e.seq, ms)];
    const wasOpen = rec.endedAt === null;
    if (wasOpen) {
      const endReason = e.reason === 'navigate' ? ('navigate' as const) : ('leave' as const);
      ops.push(endOp(Object.assign(rec, { endedAt: rec.lastSeenAt, endReason })));
    }
    if (tab.currentPv === rec.key) tab.currentPv = null;
    if (e.reason === 'unload') {
      ops.push({ kind: 'endSession', key: tabKey, agencyId: rec.agencyId, userId: rec.userId, at: rec.lastSeenAt });
      if (wasOpen) void this.deps.live.offline(rec.agencyId, rec.sessionId, rec.id, rec.lastSeenAt);
    }
    const written = this.track(pv, e.seq, this.deps.batcher.submit(ops, true));
    void written.then(
      () => this.tabs.forgetPageview(rec.key),
      () => {},
    );
    return written;
  }

  /**
   * Credits clamped engaged time to the in-memory mirror and returns the credited ms. Three
   * clamps, all on the hub's clock: the page view's wall time (engagement.ts); the tab's wall
   * time since this instance first heard from it, plus the replay window; and the user's
   * engaged time per rollup bucket over all their tabs (engaged-ledger.ts).
   */
  private credit(pv: OpenPageview, tab: TabState, claimedMs: number, ageMs: number | undefined): number {
    const now = this.deps.clock();
    const { toleranceMs, replayWindowMs } = this.deps;
    const at = eventTime(now, this.age(ageMs), pv.rec.startedAt);
    let ms = creditEngaged(pv.rec, claimedMs, at, toleranceMs);
    ms = Math.min(ms, Math.max(0, now - tab.heardAt + replayWindowMs + toleranceMs - tab.creditedMs));
    ms = this.ledger.grant(compositeKey(pv.rec.agencyId, pv.rec.userId), ms, at, now);
    pv.rec.engagedMs += ms;
    tab.creditedMs += ms;
    if (pv.rec.endedAt === null) pv.rec.lastSeenAt = Math.max(pv.rec.lastSeenAt, at);
    return ms;
  }

  /** A claimed age, believed only up to the replay window. */
  private age(ageMs: number | undefined): number {
    return Math.min(ageMs ?? 0, this.deps.replayWindowMs);
  }

  /** Records an event as pending; on failure the mirror is dropped so the next event reloads it. */
  private track(pv: OpenPageview, seq: number, write: Promise<void>): Promise<void> {
    this.tabs.markPending(pv, seq, write);
    pv.aliveWrittenAt = this.deps.clock(); // every tracking write sets the document's aliveAt
    return write.catch((err: unknown) => {
      this.tabs.forgetPageview(pv.rec.key);
      throw err instanceof AppError ? err : new AppError('unavailable', 'Storage is unavailable');
    });
  }

  private async openPageview(key: string): Promise<OpenPageview | undefined> {
    return this.tabs.pageview(key) ?? this.tabs.load(key, () => this.loader.load(key));
  }
}
