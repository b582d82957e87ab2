import { LIMITS } from '../../protocol/src/constants.ts';
import type { TrackEventInput } from '../../protocol/src/track.ts';

/** The subset of `Storage` the tracker uses, so tests can pass a plain object. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** An event waiting for the hub's ack. */
export interface OutboxItem {
  e: TrackEventInput;
  /** Epoch ms at creation: only for the age of events restored from an earlier page load. */
  at: number;
  /** `performance.now()` at creation, for events made by this page load (not persisted across loads). */
  p?: number;
  /** Whose event it is: `identityOf` the token it was recorded under. */
  u?: string;
}

export interface Outbox {
  /** Oldest first. */
  readonly items: OutboxItem[];
  /**
   * How many items at the head have been transmitted (socket or beacon) and may be stored by the
   * hub already: those are never merged or dropped, or their later part would be lost.
   */
  sent: number;
  /** Adds an event of the current owner. */
  push(item: OutboxItem): void;
  remove(id: string): void;
  /**
   * Sets whose events are queued from now on, and removes (and returns) the queued events of
   * anyone else: they must never be sent under another user's token.
   */
  own(u: string): OutboxItem[];
}

/**
 * A bounded, persisted queue. When full it first merges neighbouring heartbeats of one page
 * view, then drops the oldest heartbeat, then the oldest leave; page views are never dropped.
 */
export function createOutbox(storage: StorageLike, key: string, max: number = LIMITS.outboxSize): Outbox {
  let items: OutboxItem[] = [];
  try {
    const saved: unknown = JSON.parse(storage.getItem(key) || '[]');
    // Restored events come from another page load, whose performance.now() means nothing here.
    if (Array.isArray(saved))
      items = saved.filter((x) => x && x.e && x.e.id).map((x: OutboxItem) => ({ e: x.e, at: x.at, u: x.u }));
  } catch {
    // Corrupt storage: start empty.
  }

  const save = (): void => {
    try {
      storage.setItem(key, JSON.stringify(items));
    } catch {
      // Quota or privacy mode: the queue still works in memory.
    }
  };

  // Makes room by one item; false when nothing may go.
  const shrink = (): boolean => {
    for (let i = box.sent; i < items.length - 1; i++) {
      const a = items[i]!.e;
      const b = items[i + 1]!;
      if (a.type === 'heartbeat' && b.e.type === 'heartbeat' && a.pageviewId === b.e.pageviewId) {
        // Earlier id and seq, summed time, latest state and timing.
        items[i] = { ...b, e: { ...a, engagedMs: a.engagedMs + b.e.engagedMs, state: b.e.state } };
        items.splice(i + 1, 1);
        return true;
      }
    }
    for (const type of ['heartbeat', 'leave']) {
      const i = items.findIndex((x, j) => j >= box.sent && x.e.type === type);
      if (i >= 0) return !!items.splice(i, 1);
    }
    return false;
  };

  let owner: string | undefined;
  const box: Outbox = {
    items,
    sent: 0,
    push(item) {
      item.u = owner;
      items.push(item);
      while (items.length > max && shrink());
      save();
    },
    remove(id) {
      const i = items.findIndex((x) => x.e.id === id);
      if (i < 0) return;
      items.splice(i, 1);
      if (i < box.sent) box.sent--;
      save();
    },
    own(u) {
      owner = u;
      const gone = items.filter((x) => x.u !== u);
      gone.forEach((x) => box.remove(x.e.id));
      return gone;
    },
  };
  return box;
}

/** The event as sent: with `ageMs`, how long ago it was made. */
export function withAge(item: OutboxItem, perfNow: number, wallNow: number): TrackEventInput {
  const age = item.p === undefined ? wallNow - item.at : perfNow - item.p;
  return { ...item.e, ageMs: Math.min(7 * 86_400_000, Math.max(0, Math.round(age || 0))) };
}
