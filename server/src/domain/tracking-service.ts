import type { PageviewEvent, TrackEvent } from '@activity-hub/protocol';
import { AppError } from './app-error.ts';
import { BatchLoader } from './batch-loader.ts';
import type { LiveActivity } from './live-activity.ts';
import type { Claims } from './identity.ts';
import type { Clock, StoredPageview, TrackingRepository } from './ports.ts';
import type { LiveConnection, OpenPageview, TabRegistry, TabState } from './tab-registry.ts';
import {
  newPageview,
  onHeartbeat,
  onLeave,
  onPageview,
  onShownNotNew,
  onUnstoredPageview,
  type Accounting,
  type Sender,
  type Transition,
} from './tracking-transitions.ts';
import { pageviewKey, sessionKey } from './tracking-types.ts';
import type { WriteBatcher } from './write-batcher.ts';

/**
 * A write in flight, wrapped: an async function returning a bare promise would wait for it,
 * and the per-tab queue must not wait for the database.
 */
interface Written {
  written: Promise<void>;
}

/** A page view lookup under way. */
type Lookup = Promise<OpenPageview | undefined>;

/**
 * How long a page view lookup waits for others to share its query. At 250 navigations a second,
 * one query per turn of the event loop was a round trip per navigation, and a 10 ms window still
 * made a hundred `find` commands a second: the same hold took 67–68% CPU against 58% with this
 * window. A navigation of a tab this instance follows reaches dashboards before its lookup and
 * only its ack waits (for an urgent flush too). A lookup that decides whether anything is shown
 * at all (a tab this instance does not follow yet) does not wait for the window (`soon`).
 */
const LOOKUP_WINDOW_MS = 50;

/** Refuses a page view of someone else (ids come from browsers and can be guessed or reused). */
function assertOwner(pv: OpenPageview, claims: Claims): void {
  if (pv.rec.userId !== claims.sub || pv.rec.agencyId !== claims.agencyId) {
    throw new AppError('forbidden', 'This page view belongs to another user');
  }
}

/** Who sent an event (identity from the verified token only), and over which socket. */
export interface TrackContext extends Sender {
  /** The socket (its id and whether it is still open), or null for the unload fallback over HTTP. */
  connection: LiveConnection | null;
}

export interface TrackingDeps {
  repo: Pick<TrackingRepository, 'loadPageviews'>;
  /** The in-memory mirror of this instance's tabs (tracking-maintenance.ts keeps it in time). */
  tabs: TabRegistry;
  /** The limits on claims, and the per-user engaged-time ledger. */
  accounting: Accounting;
  live: Pick<LiveActivity, 'apply'>;
  batcher: Pick<WriteBatcher, 'submit'>;
  clock: Clock;
}

/**
 * Applies tracker events: a thin shell around the transitions of tracking-transitions.ts. It
 * loads the state an event touches (tab and page view, from memory or storage), runs the
 * transition, submits its writes and publishes its live update. Each call resolves when its
 * write is durable, so the caller's ack means stored; an event whose seq was seen before
 * resolves as success and is stored once.
 */
export class TrackingService {
  /** The in-memory mirror (read by metrics and tests). */
  readonly tabs: TabRegistry;
  private readonly acc: Accounting;
  /** Page view lookups of one turn of the event loop, fetched together. */
  private readonly loader: BatchLoader<StoredPageview>;

  constructor(private readonly deps: TrackingDeps) {
    this.tabs = deps.tabs;
    this.acc = deps.accounting;
    this.loader = new BatchLoader((keys) => deps.repo.loadPageviews(keys), 1_000, LOOKUP_WINDOW_MS);
  }

  /** Handles one validated event. Events of one tab are applied in order. */
  async handle(ctx: TrackContext, event: TrackEvent): Promise<void> {
    const tabKey = sessionKey(ctx.claims.agencyId, ctx.claims.sub, event.tabId);
    const lookup = event.type === 'pageview' ? this.prefetch(ctx, tabKey, event) : undefined;
    // The in-memory step runs in order per tab; the durable write is awaited outside the queue.
    const { written } = await this.tabs.serialize(tabKey, () => this.apply(ctx, tabKey, event, lookup));
    await written;
  }

  /**
   * Starts the lookup of a page view this instance does not hold, before the tab's queue: page
   * views that one tab sends together (an outbox replayed, a `/collect` batch) then share one
   * query instead of each waiting for the one before to be looked up. Undefined when held.
   */
  private prefetch(ctx: TrackContext, tabKey: string, e: PageviewEvent): Lookup | undefined {
    const key = pageviewKey(ctx.claims.agencyId, e.id);
    if (this.tabs.pageview(key)) return undefined;
    const soon = !this.isNewer(tabKey, e.seq); // not shown before its lookup (see pageview())
    const started = this.loadPageview(key, soon);
    started.catch(() => {}); // awaited in the queue, unless the event is refused before that
    return started;
  }

  private async apply(ctx: TrackContext, tabKey: string, event: TrackEvent, lookup?: Lookup): Promise<Written> {
    // Queued behind others when its socket closed: the ack could not arrive, so the tracker
    // still holds it and re-sends it on its next connection. Applying it now would only revive
    // a tab that is gone.
    if (ctx.connection && !ctx.connection.connected) throw new AppError('unavailable', 'The connection closed');
    if (event.type === 'pageview') return this.pageview(ctx, tabKey, event, lookup);
    // Refused events allocate nothing: the tab is touched only once the event is accepted.
    const pvKey = pageviewKey(ctx.claims.agencyId, event.pageviewId);
    // Most events find their page view in memory: they then wait for nothing before their write.
    const pv = this.tabs.pageview(pvKey) ?? (await this.loadPageview(pvKey));
    if (!pv) throw new AppError('not_found', 'Unknown page view');
    assertOwner(pv, ctx.claims);
    // The tab key carries the user, so a tab here is always the sender's own.
    const tab = this.touch(ctx, tabKey, event.tabId);
    if (event.type === 'heartbeat') this.tabs.adopt(tab, pv);
    const seen = this.tabs.seen(pv, event.seq);
    if (seen) return { written: seen };
    const { device } = ctx;
    const now = this.deps.clock();
    if (event.type === 'heartbeat') {
      return { written: this.commit(pv, event.seq, onHeartbeat(this.acc, { pv, tab, event, device, now }), false) };
    }
    const written = this.commit(pv, event.seq, onLeave(this.acc, { pv, tab, event, device, now }), true);
    void written.then(
      () => this.tabs.forgetPageview(pv.rec.key),
      () => {},
    );
    return { written };
  }

  private async pageview(ctx: TrackContext, tabKey: string, e: PageviewEvent, lookup?: Lookup): Promise<Written> {
    const now = this.deps.clock();
    const key = pageviewKey(ctx.claims.agencyId, e.id);
    // A navigation of a tab this instance follows, newer than anything it has seen from the tab,
    // reaches the live view now rather than after the page view lookup's database round trip.
    const shown = this.isNewer(tabKey, e.seq) && this.show(ctx, tabKey, e, now);
    const existing = await this.openPageview(key, lookup).catch((err: unknown) => {
      // The database is out: the event is refused (the tracker keeps it and retries), but the
      // live view still shows where the user is.
      if (err instanceof AppError && err.code === 'unavailable') {
        if (!shown) this.show(ctx, tabKey, e, now);
      } else if (shown) this.unshow(tabKey, ctx);
      throw err;
    });
    if (existing) {
      try {
        // Only the owner's re-send is a duplicate; anyone else reusing the id must neither adopt it nor be told "stored".
        assertOwner(existing, ctx.claims);
        // Re-sent to another instance than the one that stored it: adopt it like a heartbeat does.
        this.tabs.adopt(this.touch(ctx, tabKey, e.tabId), existing);
      } finally {
        // Shown before the lookup but not new after all: the live view goes back to the tab's page.
        if (shown) this.unshow(tabKey, ctx);
      }
      return { written: this.tabs.seen(existing, e.seq) ?? Promise.resolve() };
    }
    const tab = this.touch(ctx, tabKey, e.tabId);
    const previous = tab.currentPv ? this.tabs.pageview(tab.currentPv)?.rec : undefined;
    const rec = newPageview(this.acc.limits, ctx, e, now);
    const step = onPageview(tab, previous, rec, ctx);
    const pv = this.tabs.addPageview(rec, tabKey);
    return { written: this.commit(pv, e.seq, shown ? { ...step, live: null } : step, true) };
  }

  /** Whether the tab's current page view is in memory and every seq seen from it is below `seq`. */
  private isNewer(tabKey: string, seq: number): boolean {
    const current = this.tabs.tab(tabKey)?.currentPv;
    const pv = current ? this.tabs.pageview(current) : undefined;
    return pv !== undefined && this.tabs.highestSeq(pv) < seq;
  }

  /** Takes back a page view shown before its lookup: the tab's presence is its current page view again. */
  private unshow(tabKey: string, ctx: TrackContext): void {
    const current = this.tabs.tab(tabKey)?.currentPv;
    const delta = onShownNotNew(current ? this.tabs.pageview(current)?.rec : undefined, ctx.device);
    if (delta) void this.deps.live.apply(delta);
  }

  /** Publishes a page view before it is stored (see onUnstoredPageview). */
  private show(ctx: TrackContext, tabKey: string, e: PageviewEvent, now: number): true {
    const rec = newPageview(this.acc.limits, ctx, e, now);
    void this.deps.live.apply(onUnstoredPageview(this.tabs.tab(tabKey), rec, ctx.device));
    return true;
  }

  private touch(ctx: TrackContext, tabKey: string, tabId: string): TabState {
    const who = { agencyId: ctx.claims.agencyId, userId: ctx.claims.sub };
    return this.tabs.touchTab(tabKey, tabId, who, ctx.connection, this.deps.clock());
  }

  /**
   * Applies a transition: its writes are submitted (urgent ones flush on the next tick) and its
   * live update published. Resolves when stored; on failure the mirror is dropped, so the next
   * event reloads it.
   */
  private commit(pv: OpenPageview, seq: number, t: Transition, urgent: boolean): Promise<void> {
    const write = this.deps.batcher.submit(t.writes, urgent);
    this.tabs.markPending(pv, seq, write);
    pv.aliveWrittenAt = this.deps.clock(); // every tracking write sets the document's aliveAt
    if (t.live) void this.deps.live.apply(t.live);
    return write.catch((err: unknown) => {
      this.tabs.forgetPageview(pv.rec.key);
      throw err instanceof AppError ? err : new AppError('unavailable', 'Storage is unavailable');
    });
  }

  /** The page view in memory (an earlier event of the tab may have added it), else looked up. */
  private async openPageview(key: string, started?: Lookup): Promise<OpenPageview | undefined> {
    return this.tabs.pageview(key) ?? (started ? await started : this.loadPageview(key));
  }

  /**
   * A page view this instance does not hold, from storage (lookups close in time share a query;
   * `soon`: this one does not wait for the window, see BatchLoader.load).
   */
  private loadPageview(key: string, soon = false): Promise<OpenPageview | undefined> {
    return this.tabs.load(key, () => this.loader.load(key, soon));
  }
}
