import type { FeedItem, PresenceEntry, PresenceRemoval, PresenceState } from '@activity-hub/protocol';
import type { StoredSeqs } from './seq-window.ts';
import type { ClosedPageview, Credit, PageviewRecord, WriteOp } from './tracking-types.ts';

/** Credits a batch could not apply because another writer applied some of them (same seqs) first. */
export interface CreditConflict {
  key: string;
  credits: Credit[];
}

/** A page view as stored, and the seqs of the events already credited to it. */
export interface StoredPageview {
  rec: PageviewRecord;
  seen: StoredSeqs;
}

/** Storage for tracking data; implemented in storage/. */
export interface TrackingRepository {
  /** Applies every op in one round of bulk writes; resolves only once they are durable. */
  applyBatch(ops: WriteOp[]): Promise<{ conflicts: CreditConflict[] }>;
  /** Stored page views by key, each with the seqs of the events already credited to it; missing keys are absent. */
  loadPageviews(keys: string[]): Promise<Map<string, StoredPageview>>;
  /** Re-applies conflicting credits one by one, skipping seqs already stored. */
  resolveConflict(conflict: CreditConflict): Promise<number>;
  /**
   * Closes page views whose tab has shown no sign of life since `aliveBefore`, at their last
   * evidence. Safe to run on every instance at once: each page view is closed exactly once,
   * and only the caller that closed it gets it back.
   */
  closeStale(aliveBefore: number, limit: number): Promise<ClosedPageview[]>;
  /** Closes one page view at its last evidence unless it has seen evidence after `seenAt`. */
  closeIfQuiet(key: string, seenAt: number, reason: 'disconnect'): Promise<ClosedPageview | null>;
  ping(): Promise<void>;
}

/** A heartbeat's progress on a tab's presence entry (see `PresenceStore.progress`). */
export interface PresenceProgress {
  agencyId: string;
  sessionId: string;
  pageviewId: string;
  engagedMs: number;
  state: PresenceState;
  /** The heartbeat's time (hub clock); `updatedAt` only moves forward. */
  at: number;
}

/** Who is online now, per agency; in-process or in Redis. */
export interface PresenceStore {
  upsert(entry: PresenceEntry): Promise<void>;
  get(agencyId: string, sessionId: string): Promise<PresenceEntry | null>;
  /**
   * A heartbeat's progress in one step (one round trip with Redis): sets engaged time and state
   * and moves `updatedAt` forward, only while the entry shows `pageviewId`. Answers the updated
   * entry and the state it had before, or null when there is no such entry.
   */
  progress(p: PresenceProgress): Promise<{ entry: PresenceEntry; before: PresenceState } | null>;
  remove(agencyId: string, sessionId: string): Promise<boolean>;
  list(agencyId: string, userId?: string): Promise<PresenceEntry[]>;
  /** Keeps entries of live tabs from expiring. */
  refresh(entries: { agencyId: string; sessionId: string }[]): Promise<void>;
  close(): Promise<void>;
}

/** Pushes live activity to dashboards; implemented by realtime/. */
export interface LivePublisher {
  upsert(entry: PresenceEntry): void;
  /** Heartbeat progress of a tab already shown: may be gathered with others for a moment. */
  progress(entry: PresenceEntry): void;
  remove(removal: PresenceRemoval & { agencyId: string }): void;
  feed(item: FeedItem & { agencyId: string }): void;
}

/** The hub's clock; injectable for tests. */
export type Clock = () => number;
