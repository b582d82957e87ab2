import type { TrackContext } from './tracking-service.ts';
import { sessionKey, type PageviewRecord } from './tracking-types.ts';

/** A page view this instance holds in memory, mirroring its stored document. */
export interface OpenPageview {
  rec: PageviewRecord;
  tabKey: string;
  /** Event ids whose writes have succeeded (including the page view's own id). */
  stored: Set<string>;
  /** Event ids whose writes are in flight. */
  pending: Map<string, Promise<void>>;
}

/** A tab (session) this instance has seen, and the sockets it is connected by. */
export interface TabState {
  key: string;
  sessionId: string;
  agencyId: string;
  userId: string;
  currentPv: string | null;
  connections: Set<string>;
}

/**
 * The in-memory mirror of open tabs and page views on this instance, plus the per-tab queue
 * that applies a tab's events in arrival order.
 */
export class TabRegistry {
  private readonly tabs = new Map<string, TabState>();
  private readonly pageviews = new Map<string, OpenPageview>();
  private readonly loads = new Map<string, Promise<OpenPageview | undefined>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly byConnection = new Map<string, Set<string>>();

  /** Runs `fn` after every earlier task of the same key has settled. */
  serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  touchTab(key: string, sessionId: string, ctx: TrackContext): TabState {
    let tab = this.tabs.get(key);
    if (!tab) {
      tab = {
        key,
        sessionId,
        agencyId: ctx.claims.agencyId,
        userId: ctx.claims.sub,
        currentPv: null,
        connections: new Set(),
      };
      this.tabs.set(key, tab);
    }
    if (ctx.connectionId && !tab.connections.has(ctx.connectionId)) {
      tab.connections.add(ctx.connectionId);
      let set = this.byConnection.get(ctx.connectionId);
      if (!set) this.byConnection.set(ctx.connectionId, (set = new Set()));
      set.add(key);
    }
    return tab;
  }

  /**
   * A tab continuing on this instance after its own died or restarted sends no new page view:
   * its open one becomes the tab's current page, so this instance keeps it alive and closes it
   * if the tab goes away.
   */
  adopt(tab: TabState | undefined, pv: OpenPageview): void {
    if (tab && tab.currentPv === null && pv.rec.endedAt === null) tab.currentPv = pv.rec.key;
  }

  tab(key: string): TabState | undefined {
    return this.tabs.get(key);
  }

  allTabs(): IterableIterator<TabState> {
    return this.tabs.values();
  }

  /** Detaches a connection; returns the tabs it leaves with no connection at all. */
  detach(connectionId: string): TabState[] {
    const keys = this.byConnection.get(connectionId);
    this.byConnection.delete(connectionId);
    const orphaned: TabState[] = [];
    for (const key of keys ?? []) {
      const tab = this.tabs.get(key);
      if (!tab) continue;
      tab.connections.delete(connectionId);
      if (tab.connections.size === 0) orphaned.push(tab);
    }
    return orphaned;
  }

  /** Forgets a tab and its page views (closed, or moved to another instance). */
  dropTab(key: string): void {
    const tab = this.tabs.get(key);
    if (!tab || tab.connections.size > 0) return;
    this.tabs.delete(key);
    for (const [pvKey, pv] of this.pageviews) if (pv.tabKey === key) this.pageviews.delete(pvKey);
  }

  pageview(key: string): OpenPageview | undefined {
    return this.pageviews.get(key);
  }

  addPageview(rec: PageviewRecord, tabKey: string): OpenPageview {
    const pv: OpenPageview = { rec, tabKey, stored: new Set(rec.eventIds), pending: new Map() };
    this.pageviews.set(rec.key, pv);
    return pv;
  }

  forgetPageview(key: string): void {
    this.pageviews.delete(key);
  }

  /** Loads a page view from storage once, however many events ask for it at the same time. */
  load(key: string, loader: () => Promise<PageviewRecord | null>): Promise<OpenPageview | undefined> {
    const inFlight = this.loads.get(key);
    if (inFlight) return inFlight;
    const p = loader()
      .then((rec) => {
        if (!rec) return undefined;
        const pv = this.addPageview(rec, sessionKey(rec.agencyId, rec.userId, rec.sessionId));
        pv.stored.add(rec.id);
        return pv;
      })
      .finally(() => this.loads.delete(key));
    this.loads.set(key, p);
    return p;
  }

  /** The settled or pending write of an event already seen, if any. */
  seen(pv: OpenPageview, eventId: string): Promise<void> | undefined {
    if (pv.stored.has(eventId)) return Promise.resolve();
    return pv.pending.get(eventId);
  }

  markPending(pv: OpenPageview, eventId: string, write: Promise<void>): void {
    pv.pending.set(eventId, write);
    write.then(
      () => {
        pv.pending.delete(eventId);
        pv.stored.add(eventId);
      },
      () => pv.pending.delete(eventId),
    );
  }

  get openPageviews(): number {
    return this.pageviews.size;
  }
}
