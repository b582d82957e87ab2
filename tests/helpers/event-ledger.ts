import type { TrackEventInput } from '@activity-hub/protocol';
import type { FakeTracker } from './track-client.ts';

interface Entry {
  event: TrackEventInput;
  tabId: string;
  acked: boolean;
}

const pageviewOf = (e: TrackEventInput): string => (e.type === 'pageview' ? e.id : e.pageviewId);
const msOf = (e: TrackEventInput): number => (e.type === 'pageview' ? 0 : e.engagedMs);

/**
 * What trackers sent and what the hub acknowledged, so a test can check that every acked
 * event is stored (and, after unacked ones are re-sent like the real tracker's outbox does,
 * stored exactly once).
 */
export class EventLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Set<Promise<boolean>>();

  /** Sends and waits for the ack; true when acked ok. A lost connection counts as not acked. */
  send(tr: FakeTracker, event: TrackEventInput, timeoutMs = 5_000): Promise<boolean> {
    const entry = this.entries.get(event.id) ?? { event, tabId: event.tabId, acked: false };
    this.entries.set(event.id, entry);
    const p = tr.send(event, timeoutMs).then(
      (ack) => {
        if (ack.ok) entry.acked = true;
        return ack.ok;
      },
      () => false,
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  /** Sends without waiting (several events of a tab in flight at once, like a busy tracker). */
  fire(tr: FakeTracker, event: TrackEventInput, timeoutMs = 5_000): void {
    void this.send(tr, event, timeoutMs);
  }

  /** Waits for every send in flight to be acked or to fail. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Events of a tab not acked yet, in the order they were first sent. */
  unacked(tabId: string): TrackEventInput[] {
    return [...this.entries.values()].filter((e) => e.tabId === tabId && !e.acked).map((e) => e.event);
  }

  /** Re-sends a tab's unacked events on `tr` in order (what the tracker's outbox does after a reconnect). */
  async resend(tr: FakeTracker, tabId: string): Promise<number> {
    const events = this.unacked(tabId);
    for (const e of events) await this.send(tr, e);
    return events.length;
  }

  /** Engaged ms of a page view's acked events. */
  ackedMs(pageviewId: string): number {
    return this.sum(pageviewId, true);
  }

  /** Engaged ms of every event sent for a page view, acked or not. */
  sentMs(pageviewId: string): number {
    return this.sum(pageviewId, false);
  }

  /** Ids of acked events of a type. */
  acked(type?: TrackEventInput['type']): TrackEventInput[] {
    return [...this.entries.values()].filter((e) => e.acked && (!type || e.event.type === type)).map((e) => e.event);
  }

  get size(): number {
    return this.entries.size;
  }

  private sum(pageviewId: string, ackedOnly: boolean): number {
    let ms = 0;
    for (const e of this.entries.values())
      if ((!ackedOnly || e.acked) && pageviewOf(e.event) === pageviewId) ms += msOf(e.event);
    return ms;
  }
}
