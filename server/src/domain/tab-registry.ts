import type { StoredPageview } from './ports.ts';
import { addSeq, emptySeqWindow, hasSeq, seqWindowOf, type SeqWindow } from './seq-window.ts';
import { sessionKey, type PageviewRecord } from './tracking-types.ts';

/** A socket as the registry sees it: its id, and whether it is still open. */
export interface LiveConnection {
  readonly id: string;
  readonly connected: boolean;
}

/** A page view this instance holds in memory, mirroring its stored document (without `url` and `referrer`). */
export interface OpenPageview {
  rec: PageviewRecord;
  tabKey: string;
  /** Seqs of the events whose writes have succeeded (bounded; see seq-window.ts). */
  stored: SeqWindow;
  /** Seqs whose writes are in flight; null when none (the common case between flushes). */
  pending: Map<number, Promise<void>> | null;
  /** When (hub clock) a write that marks the stored page view alive was last submitted; 0: never. */
  aliveWrittenAt: number;
}

/** A tab (session) this instance has seen, and the socket(s) it is connected by. */
export interface TabState {
  key: string;
  sessionId: string;
  agencyId: string;
  userId: string;
  currentPv: string | null;
  /** The connection id, or ids while a reconnect overlaps the old socket; null: none. */
  conns: string | string[] | null;
  /** When this instance first heard from the tab (hub clock). */
  heardAt: number;
  /** Engaged ms this instance credited to the tab, over all its page views. */
  creditedMs: number;
  /** When the tab lost its last connection (hub clock), or 0 while it has one. */
  orphanedAt: number;
  /** At expiry, close its page view (it had a socket here) rather than only forget it. */
  closeOnExpiry: boolean;
}

const connCount = (t: TabState): number => (t.conns === null ? 0 : typeof t.conns === 'string' ? 1 : t.conns.length);

/**
 * The in-memory mirror of tabs and page views on this instance, plus the per-tab queue that
 * applies a tab's events in arrival order. A tab without a live socket is an orphan: orphans
 * are kept in the order they were orphaned, so one shared timer finds the expired ones without
 * scanning every tab, and nothing here needs a timer per tab.
 */
export class TabRegistry {
  private readonly tabs = new Map<string, TabState>();
  private readonly pageviews = new Map<string, OpenPageview>();
  private readonly loads = new Map<string, Promise<OpenPageview | undefined>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Connection id → the key of its tab (one tab per socket), or keys if it sent for several. */
  private readonly byConnection = new Map<string, string | string[]>();
  private readonly orphans = new Map<string, TabState>();

  /**
   * Runs `fn` after every earlier task of the same key has settled, or at once when none is
   * queued (the common case: a tab sends an event every few seconds).
   */
  serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key);
    let run: Promise<T>;
    try {
      run = prev === undefined ? fn() : prev.then(fn, fn);
    } catch (err) {
      run = Promise.reject(err as Error); // a task that throws before its promise fails like one that rejects
    }
    this.queues.set(key, run);
    const done = () => {
      if (this.queues.get(key) === run) this.queues.delete(key);
    };
    run.then(done, done);
    return run;
  }

  /**
   * The tab of an accepted event. A live socket is attached to it; a socket that has already
   * closed (its events were still queued) never is, so its tab expires like any orphan.
   */
  touchTab(
    key: string,
    sessionId: string,
    who: { agencyId: string; userId: string },
    conn: LiveConnection | null,
    now: number,
  ): TabState {
    let tab = this.tabs.get(key);
    if (!tab) {
      tab = {
        key,
        sessionId,
        agencyId: who.agencyId,
        userId: who.userId,
        currentPv: null,
        conns: null,
        heardAt: now,
        creditedMs: 0,
        orphanedAt: 0,
        closeOnExpiry: false,
      };
      this.tabs.set(key, tab);
    }
    if (conn?.connected) this.attach(tab, conn.id);
    else {
      if (conn) tab.closeOnExpiry = true;
      if (connCount(tab) === 0 && tab.orphanedAt === 0) this.expireLater(tab, now);
    }
    return tab;
  }

  private attach(tab: TabState, id: string): void {
    const c = tab.conns;
    if (c === id || (Array.isArray(c) && c.includes(id))) return;
    tab.conns = c === null ? id : typeof c === 'string' ? [c, id] : [...c, id];
    const keys = this.byConnection.get(id);
    if (keys === undefined) this.byConnection.set(id, tab.key);
    else if (keys !== tab.key && !(Array.isArray(keys) && keys.includes(tab.key)))
      this.byConnection.set(id, typeof keys === 'string' ? [keys, tab.key] : [...keys, tab.key]);
    tab.closeOnExpiry = true;
    tab.orphanedAt = 0;
    this.orphans.delete(tab.key);
  }

  /** Makes a tab without a connection expire one grace after `now`. */
  expireLater(tab: TabState, now: number): void {
    tab.orphanedAt = now;
    this.orphans.delete(tab.key);
    this.orphans.set(tab.key, tab); // re-inserted last: the map stays in orphaning order
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

  isConnected(tab: TabState): boolean {
    return tab.conns !== null;
  }

  /**
   * Detaches a closed connection. Tabs it leaves without any connection become orphans; on
   * shutdown they will reconnect elsewhere, so they are then only forgotten, not closed.
   */
  detach(connectionId: string, now: number, shuttingDown = false): void {
    const keys = this.byConnection.get(connectionId);
    this.byConnection.delete(connectionId);
    if (keys === undefined) return;
    for (const key of typeof keys === 'string' ? [keys] : keys) {
      const tab = this.tabs.get(key);
      if (!tab) continue;
      const c = tab.conns;
      if (c === connectionId) tab.conns = null;
      else if (Array.isArray(c)) {
        const rest = c.filter((x) => x !== connectionId);
        tab.conns = rest.length === 0 ? null : rest.length === 1 ? rest[0]! : rest;
      }
      if (tab.conns === null) {
        if (shuttingDown) tab.closeOnExpiry = false;
        this.expireLater(tab, now);
      }
    }
  }

  /** Removes and returns the orphans whose grace has run out by `now`. */
  takeExpired(now: number, graceMs: number): TabState[] {
    const out: TabState[] = [];
    for (const tab of this.orphans.values()) {
      if (tab.orphanedAt + graceMs > now) break;
      out.push(tab);
    }
    for (const tab of out) this.orphans.delete(tab.key);
    return out;
  }

  /** Forgets a tab and its current page view (closed, or moved to another instance). */
  dropTab(key: string): void {
    const tab = this.tabs.get(key);
    if (!tab || tab.conns !== null) return;
    this.tabs.delete(key);
    this.orphans.delete(key);
    if (tab.currentPv) this.pageviews.delete(tab.currentPv);
  }

  /** Forgets page views whose tab is gone from this instance (loaded by a stray event). */
  pruneStrayPageviews(): void {
    for (const [key, pv] of this.pageviews) if (!this.tabs.has(pv.tabKey)) this.pageviews.delete(key);
  }

  pageview(key: string): OpenPageview | undefined {
    return this.pageviews.get(key);
  }

  addPageview(rec: PageviewRecord, tabKey: string, stored: SeqWindow = emptySeqWindow()): OpenPageview {
    const pv: OpenPageview = { rec, tabKey, stored, pending: null, aliveWrittenAt: 0 };
    this.pageviews.set(rec.key, pv);
    return pv;
  }

  forgetPageview(key: string): void {
    this.pageviews.delete(key);
  }

  /** Loads a page view from storage once, however many events ask for it at the same time. */
  load(key: string, loader: () => Promise<StoredPageview | null>): Promise<OpenPageview | undefined> {
    const inFlight = this.loads.get(key);
    if (inFlight) return inFlight;
    const p = loader()
      .then((found) => {
        if (!found) return undefined;
        const { rec, seen } = found;
        Object.assign(rec, { url: '', referrer: '' }); // not needed in memory (see tracking-service)
        return this.addPageview(rec, sessionKey(rec.agencyId, rec.userId, rec.sessionId), seqWindowOf(seen));
      })
      .finally(() => this.loads.delete(key));
    this.loads.set(key, p);
    return p;
  }

  /** The highest seq this instance has stored or has in flight for a page view (-1: none). */
  highestSeq(pv: OpenPageview): number {
    let hi = pv.stored.hi;
    if (pv.pending) for (const seq of pv.pending.keys()) hi = Math.max(hi, seq);
    return hi;
  }

  /** The settled or pending write of an event already seen, if any. */
  seen(pv: OpenPageview, seq: number): Promise<void> | undefined {
    if (hasSeq(pv.stored, seq)) return Promise.resolve();
    return pv.pending?.get(seq);
  }

  markPending(pv: OpenPageview, seq: number, write: Promise<void>): void {
    (pv.pending ??= new Map()).set(seq, write);
    const done = (ok: boolean) => {
      pv.pending?.delete(seq);
      if (pv.pending?.size === 0) pv.pending = null;
      if (ok) addSeq(pv.stored, seq);
    };
    write.then(
      () => done(true),
      () => done(false),
    );
  }

  get openPageviews(): number {
    return this.pageviews.size;
  }

  get size(): number {
    return this.tabs.size;
  }
}
