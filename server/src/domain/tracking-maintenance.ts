import type { EngagedLedger } from './engaged-ledger.ts';
import type { LiveActivity } from './live-activity.ts';
import type { Clock, PresenceStore, TrackingRepository } from './ports.ts';
import { forEachInSlices, nextTurn } from './slices.ts';
import type { TabRegistry, TabState } from './tab-registry.ts';
import { onClosed } from './tracking-transitions.ts';
import type { WriteBatcher } from './write-batcher.ts';

/** Tabs visited per turn of the event loop by the keep-alive round (slices.ts). */
const ALIVE_SLICE = 2_000;

export interface MaintenanceConfig {
  staleAfterMs: number;
  sweepIntervalMs: number;
  disconnectGraceMs: number;
}

/** What maintenance does to the in-memory mirror: the time-driven half of the tab registry. */
export type MaintainedTabs = Pick<
  TabRegistry,
  | 'detach'
  | 'takeExpired'
  | 'isConnected'
  | 'pageview'
  | 'expireLater'
  | 'dropTab'
  | 'allTabs'
  | 'pruneStrayPageviews'
  | 'forgetPageview'
>;

export interface MaintenanceDeps {
  /** The registry the tracking service fills (shared, wired in app.ts). */
  tabs: MaintainedTabs;
  /** The tracking service's engaged-time ledger, pruned here. */
  ledger: Pick<EngagedLedger, 'prune'>;
  repo: Pick<TrackingRepository, 'closeIfQuiet' | 'closeStale'>;
  live: Pick<LiveActivity, 'apply'>;
  presence: Pick<PresenceStore, 'refresh'>;
  batcher: Pick<WriteBatcher, 'flush' | 'enqueue'>;
  clock: Clock;
  config: MaintenanceConfig;
  onError: (err: unknown, what: string) => void;
  /** Counts the closes this instance won (each page view is closed by exactly one instance). */
  onClosed?: (reason: 'timeout' | 'disconnect', count: number) => void;
}

/**
 * The time-driven side of tracking: keep-alive marks for connected tabs, closing the page
 * view of a tab that disconnected and did not come back, and the sweeper that closes what a
 * crashed instance left open. Every close is a conditional update, so with many instances
 * each page view is closed exactly once. Three shared timers in all, none per tab: the
 * disconnect grace is one tick that takes the expired orphans from the registry.
 */
export class TrackingMaintenance {
  private timers: NodeJS.Timeout[] = [];
  private readonly tabs: MaintainedTabs;
  private readonly config: MaintenanceConfig;
  private readonly clock: Clock;

  constructor(private readonly deps: MaintenanceDeps) {
    this.tabs = deps.tabs;
    this.config = deps.config;
    this.clock = deps.clock;
  }

  /** Keep-alive rounds: four per stale period, so a page view is marked well before it goes stale. */
  private get aliveEveryMs(): number {
    return Math.max(1_000, Math.floor(this.config.staleAfterMs / 4));
  }

  start(): void {
    this.timers.push(
      setInterval(() => void this.markAlive().catch((e: unknown) => this.deps.onError(e, 'alive')), this.aliveEveryMs),
    );
    this.timers.push(
      setInterval(
        () => void this.sweep().catch((e: unknown) => this.deps.onError(e, 'sweep')),
        this.config.sweepIntervalMs,
      ),
    );
    // The grace wheel: a tab closes between grace and grace + one tick after its socket went.
    const tick = Math.max(50, Math.min(1_000, Math.floor(this.config.disconnectGraceMs / 10)));
    this.timers.push(setInterval(() => this.expire(), tick));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** A socket went away. On shutdown its tabs reconnect elsewhere, so they are only forgotten. */
  disconnected(connectionId: string, shuttingDown: boolean): void {
    this.tabs.detach(connectionId, this.clock(), shuttingDown);
  }

  /**
   * Ends the tabs whose socket closed more than the grace ago: their page view is closed (a tab
   * that only ever spoke through /collect, or whose instance is shutting down, is only
   * forgotten here: its socket lives elsewhere, and the sweeper has the last word).
   */
  expire(): void {
    for (const tab of this.tabs.takeExpired(this.clock(), this.config.disconnectGraceMs)) {
      if (tab.closeOnExpiry) void this.closeTab(tab).catch((e: unknown) => this.deps.onError(e, 'disconnect-close'));
      else this.tabs.dropTab(tab.key);
    }
  }

  /** Closes a tab's open page view at its last evidence, unless it came back meanwhile. */
  async closeTab(tab: TabState): Promise<void> {
    const { tabs } = this;
    if (tabs.isConnected(tab)) return;
    await this.deps.batcher.flush();
    const current = tab.currentPv;
    const pv = current ? tabs.pageview(current) : undefined;
    if (pv && pv.rec.endedAt === null) {
      const closed = await this.deps.repo.closeIfQuiet(pv.rec.key, pv.rec.lastSeenAt, 'disconnect');
      if (closed) {
        const gone = onClosed(closed, pv.rec, 'disconnect');
        this.deps.onClosed?.('disconnect', 1);
        await this.deps.live.apply(gone);
      }
    }
    if (tabs.isConnected(tab)) return;
    // Events of the closed socket still being applied opened another page: end that one too, later.
    if (tab.currentPv !== current) tabs.expireLater(tab, this.clock());
    else tabs.dropTab(tab.key);
  }

  /**
   * Marks connected tabs alive so the sweeper leaves them be, and refreshes their presence, a
   * slice of tabs per turn of the event loop.
   */
  async markAlive(): Promise<void> {
    const keys: string[] = [];
    const entries: { agencyId: string; sessionId: string }[] = [];
    const now = this.clock();
    await forEachInSlices(this.tabs.allTabs(), ALIVE_SLICE, (tab) => {
      if (!this.tabs.isConnected(tab) || !tab.currentPv) return;
      entries.push({ agencyId: tab.agencyId, sessionId: tab.sessionId });
      // A page view whose heartbeat was written since the last round is alive already: most
      // are, so the keep-alive writes stay few however many tabs are open.
      const pv = this.tabs.pageview(tab.currentPv);
      if (pv && now - pv.aliveWrittenAt < this.aliveEveryMs) return;
      keys.push(tab.currentPv);
    });
    if (keys.length > 0) this.deps.batcher.enqueue([{ kind: 'alive', keys, at: now }]);
    for (let i = 0; i < entries.length; i += ALIVE_SLICE) {
      if (i > 0) await nextTurn();
      await this.deps.presence.refresh(entries.slice(i, i + ALIVE_SLICE));
    }
  }

  /** Closes page views that no instance has kept alive; returns how many this call closed. */
  async sweep(): Promise<number> {
    this.tabs.pruneStrayPageviews();
    this.deps.ledger.prune(this.clock());
    const closed = await this.deps.repo.closeStale(this.clock() - this.config.staleAfterMs, 500);
    if (closed.length > 0) this.deps.onClosed?.('timeout', closed.length);
    for (const c of closed) {
      this.tabs.forgetPageview(c.key);
      await this.deps.live.apply(onClosed(c, undefined, 'timeout'));
    }
    return closed.length;
  }
}
