import type { Ack, ErrorBody } from './errors.ts';
import type { FeedItem, PresenceEntry, PresenceRemoval, PresenceSnapshot } from './presence.ts';
import type { TrackEventInput, TrackerSettings } from './track.ts';

/** Sent by the hub before it closes a socket on purpose. */
export interface Goodbye {
  code: ErrorBody['code'] | 'shutdown';
  message: string;
  /** True when the client should reconnect (to any instance). */
  reconnect: boolean;
}

/** Events a tracker emits on /track. */
export interface TrackClientToServerEvents {
  event: (event: TrackEventInput, ack: (res: Ack) => void) => void;
  /** Re-authenticate the live socket with a renewed token. */
  auth: (token: string, ack: (res: Ack<{ expiresAt: number }>) => void) => void;
}

/** Events the hub emits on /track. */
export interface TrackServerToClientEvents {
  settings: (settings: TrackerSettings) => void;
  bye: (bye: Goodbye) => void;
}

/** Events a dashboard emits on /live. */
export interface LiveClientToServerEvents {
  auth: (token: string, ack: (res: Ack<{ expiresAt: number }>) => void) => void;
  /** Ask for a fresh snapshot (after a reconnect, for instance). */
  sync: (ack: (res: Ack<PresenceSnapshot>) => void) => void;
}

/** Events the hub emits on /live. */
export interface LiveServerToClientEvents {
  snapshot: (snapshot: PresenceSnapshot) => void;
  upsert: (entry: PresenceEntry) => void;
  /**
   * Heartbeat progress of tabs already shown (engaged time, last seen), gathered for a moment
   * and sent together; each entry is whole and applies like an `upsert`. Everything else about
   * a tab (a new page, a state change, going offline) comes at once, and a tab's progress never
   * arrives after it.
   */
  upserts: (entries: PresenceEntry[]) => void;
  remove: (removal: PresenceRemoval) => void;
  feed: (item: FeedItem) => void;
  bye: (bye: Goodbye) => void;
}

/** Union maps, for code that does not care which namespace. */
export type ClientToServerEvents = TrackClientToServerEvents & LiveClientToServerEvents;
export type ServerToClientEvents = TrackServerToClientEvents & LiveServerToClientEvents;
