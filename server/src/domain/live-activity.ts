import { randomUUID } from 'node:crypto';
import type { FeedKind, PresenceEntry } from '@activity-hub/protocol';
import { compositeKey } from './keys.ts';
import { presenceOf, type LiveDelta, type ProgressUpdate, type TabGone } from './live-deltas.ts';
import type { LivePublisher, PresenceStore } from './ports.ts';

/**
 * Turns tracking facts into presence entries and feed items, and publishes them. Presence
 * changes (online, offline, page, state) are pushed at once; plain progress is throttled to
 * one update per tab per heartbeat interval.
 */
export class LiveActivity {
  /**
   * When each tab's progress was last published, by agency and tab: tab ids come from browsers,
   * and another agency's tab with the same id must not hold back this one's updates.
   */
  private lastProgress = new Map<string, number>();

  constructor(
    private readonly presence: PresenceStore,
    private readonly publisher: LivePublisher,
    private readonly heartbeatIntervalMs: number,
    /**
     * Live updates are best effort: a presence-store error is reported here and never fails an
     * ack. Each method catches its own (a shared async wrapper cost a closure and two promises
     * per heartbeat).
     */
    private readonly onError: (err: unknown) => void,
  ) {}

  /** A page view started: the tab's entry moves to the new page. */
  async pageview(entry: PresenceEntry, isNewTab: boolean): Promise<void> {
    try {
      const known = await this.presence.get(entry.agencyId, entry.sessionId);
      // Tab ids come from browsers: another user's live tab with the same id is not overwritten.
      if (known && known.userId !== entry.userId) return;
      // The same page view again (a retried event the database refused): already shown.
      if (known?.pageviewId === entry.pageviewId) return;
      // A tab that reconnects (or moves to another instance) keeps its online-since time.
      const next = known ? { ...entry, onlineSince: Math.min(known.onlineSince, entry.onlineSince) } : entry;
      await this.presence.upsert(next);
      this.publisher.upsert(next);
      this.lastProgress.set(compositeKey(next.agencyId, next.sessionId), next.updatedAt);
      if (isNewTab && !known) this.feed('online', next);
      this.feed('pageview', next);
    } catch (err) {
      this.onError(err);
    }
  }

  /** Publishes what a tracking transition produced. */
  apply(delta: LiveDelta): Promise<void> {
    switch (delta.kind) {
      case 'pageview':
        return this.pageview(delta.entry, delta.isNewTab);
      case 'progress':
        return this.progress(delta);
      case 'offline':
        return this.offline(delta);
    }
  }

  /**
   * Heartbeat progress, one presence-store round trip; pushed at once when the state changed,
   * else throttled and left to the publisher to gather. A still-open page view the store has
   * lost (a restarted single instance) is rebuilt from `p.rec`, so the tab comes back online
   * with its next heartbeat rather than at its next navigation.
   */
  async progress(p: ProgressUpdate): Promise<void> {
    const { sessionId, state, at } = p;
    const tab = compositeKey(p.agencyId, sessionId);
    try {
      const hit = await this.presence.progress(p);
      if (!hit) {
        // Rare: the entry is gone (a restarted single instance) or shows another page view.
        if (await this.presence.get(p.agencyId, sessionId)) return;
        const back: PresenceEntry = { ...presenceOf(p.rec, state, p.device), engagedMs: p.engagedMs, updatedAt: at };
        await this.presence.upsert(back);
        this.publisher.upsert(back);
        this.lastProgress.set(tab, at);
        this.feed('online', back);
        return;
      }
      const changed = hit.before !== state;
      const last = this.lastProgress.get(tab) ?? 0;
      if (changed) {
        this.lastProgress.set(tab, at);
        this.publisher.upsert(hit.entry);
        this.feed('state', hit.entry);
      } else if (at - last >= this.heartbeatIntervalMs * 0.8) {
        this.lastProgress.set(tab, at);
        this.publisher.progress(hit.entry);
      }
    } catch (err) {
      this.onError(err);
    }
  }

  /** The tab went away (unload, disconnect, timeout). Only the current page view removes it. */
  async offline(gone: TabGone): Promise<void> {
    const { agencyId, sessionId, pageviewId, at } = gone;
    try {
      const entry = await this.presence.get(agencyId, sessionId);
      if (!entry || (pageviewId && entry.pageviewId !== pageviewId)) return;
      if (!(await this.presence.remove(agencyId, sessionId))) return;
      this.lastProgress.delete(compositeKey(agencyId, sessionId));
      this.publisher.remove({ agencyId, sessionId, userId: entry.userId, at });
      this.feed('offline', { ...entry, updatedAt: at });
    } catch (err) {
      this.onError(err);
    }
  }

  private feed(kind: FeedKind, e: PresenceEntry): void {
    this.publisher.feed({
      id: randomUUID(),
      at: e.updatedAt,
      kind,
      agencyId: e.agencyId,
      userId: e.userId,
      name: e.name,
      locationId: e.locationId,
      path: e.path,
      title: e.title,
      ...(kind === 'state' ? { state: e.state } : {}),
    });
  }
}
