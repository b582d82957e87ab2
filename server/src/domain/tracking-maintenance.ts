import type { LiveActivity } from './live-activity.ts';
import type { Clock, PresenceStore, TrackingRepository } from './ports.ts';
import type { TabState } from './tab-registry.ts';
import type { TrackingService } from './tracking-service.ts';
import type { WriteBatcher } from './write-batcher.ts';

export interface MaintenanceConfig {
  staleAfterMs: number;
  sweepIntervalMs: number;
  disconnectGraceMs: number;
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

  constructor(
    private readonly service: TrackingService,
    private readonly repo: TrackingRepository,
    private readonly live: LiveActivity,
    private readonly presence: PresenceStore,
    private readonly batcher: WriteBatcher,
    private readonly clock: Clock,
    private readonly config: MaintenanceConfig,
    private readonly onError: (err: unknown, what: string) => void,
    /** Counts the closes this instance won (each page view is closed by exactly one instance). */
    private readonly onClosed: (reason: 'timeout' | 'disconnect', count: number) => void = () => {},
  ) {}

  /** Keep-alive rounds: four per stale period, so a page view is marked well before it goes stale. */
  private get aliveEveryMs(): number {
    return Math.max(1_000, Math.floor(this.config.staleAfterMs / 4));
  }

  start(): void {
    this.timers.push(
      setInterval(() => void this.markAlive().catch((e: unknown) => this.onError(e, 'alive')), this.aliveEveryMs),
    );
    this.timers.push(
      setInterval(() => void this.sweep().catch((e: unknown) => this.onError(e, 'sweep')), this.config.sweepIntervalMs),
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
    this.service.tabs.detach(connectionId, this.clock(), shuttingDown);
  }

  /**
   * Ends the tabs whose socket closed more than the grace ago: their page view is closed (a tab
   * that only ever spoke through /collect, or whose instance is shutting down, is only
   * forgotten here: its socket lives elsewhere, and the sweeper has the last word).
   */
  expire(): void {
    for (const tab of this.service.tabs.takeExpired(this.clock(), this.config.disconnectGraceMs)) {
      if (tab.closeOnExpiry) void this.closeTab(tab).catch((e: unknown) => this.onError(e, 'disconnect-close'));
      else this.service.tabs.dropTab(tab.key);
    }
  }

  /** Closes a tab's open page view at its last evidence, unless it came back meanwhile. */
  async closeTab(tab: TabState): Promise<void> {
    const { tabs } = this.service;
    if (tabs.isConnected(tab)) return;
    await this.batcher.flush();
    const current = tab.currentPv;
    const pv = current ? tabs.pageview(current) : undefined;
    if (pv && pv.rec.endedAt === null) {
      const closed = await this.repo.closeIfQuiet(pv.rec.key, pv.rec.lastSeenAt, 'disconnect');
      if (closed) {
        Object.assign(pv.rec, { endedAt: closed.endedAt, endReason: 'disconnect' });
        this.onClosed('disconnect', 1);
        await this.live.offline(closed.agencyId, closed.sessionId, closed.id, closed.endedAt);
      }
    }
    if (tabs.isConnected(tab)) return;
    // Events of the closed socket still being applied opened another page: end that one too, later.
    if (tab.currentPv !== current) tabs.expireLater(tab, this.clock());
    else tabs.dropTab(tab.key);
  }

  /** Marks connected tabs alive so the sweeper leaves them be, and refreshes their presence. */
  async markAlive(): Promise<void> {
    const keys: string[] = [];
    const entries: { agencyId: string; sessionId: string }[] = [];
    const now = this.clock();
    for (const tab of this.service.tabs.allTabs()) {
      if (!this.service.tabs.isConnected(tab) || !tab.currentPv) continue;
      entries.push({ agencyId: tab.agencyId, sessionId: tab.sessionId });
      // A page view whose heartbeat was written since the last round is alive already: most
      // are, so the keep-alive writes stay few however many tabs are open.
      const pv = this.service.tabs.pageview(tab.currentPv);
      if (pv && now - pv.aliveWrittenAt < this.aliveEveryMs) continue;
      keys.push(tab.currentPv);
    }
    if (keys.length > 0) this.batcher.enqueue([{ kind: 'alive', keys, at: now }]);
    if (entries.length > 0) await this.presence.refresh(entries);
  }

  /** Closes page views that no instance has kept alive; returns how many this call closed. */
  async sweep(): Promise<number> {
    this.service.tabs.pruneStrayPageviews();
    this.service.ledger.prune(this.clock());
    const closed = await this.repo.closeStale(this.clock() - this.config.staleAfterMs, 500);
    if (closed.length > 0) this.onClosed('timeout', closed.length);
    for (const c of closed) {
      this.service.tabs.forgetPageview(c.key);
      await this.live.offline(c.agencyId, c.sessionId, c.id, c.endedAt);
    }
    return closed.length;
  }
}
