import type { DEVICE_CLASSES, PRESENCE_STATES } from './constants.ts';

export type PresenceState = (typeof PRESENCE_STATES)[number];
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/** One open tab of one user, as the live view shows it. Times are epoch ms on the hub's clock. */
export interface PresenceEntry {
  sessionId: string;
  userId: string;
  name: string;
  agencyId: string;
  locationId: string | null;
  pageviewId: string;
  path: string;
  title: string;
  /** When this tab came online. */
  onlineSince: number;
  /** When the current page view started. */
  pageSince: number;
  /** Engaged ms on the current page so far. */
  engagedMs: number;
  state: PresenceState;
  device: DeviceClass;
  /** Last evidence from the tab. */
  updatedAt: number;
}

/** The first message on /live, and the reply of `GET /api/v1/presence`. */
export interface PresenceSnapshot {
  entries: PresenceEntry[];
  serverTime: number;
}

/** A tab went offline. */
export interface PresenceRemoval {
  sessionId: string;
  userId: string;
  at: number;
}

export type FeedKind = 'online' | 'offline' | 'pageview' | 'leave' | 'state';

/** One line of the live feed. */
export interface FeedItem {
  id: string;
  at: number;
  kind: FeedKind;
  userId: string;
  name: string;
  locationId: string | null;
  path: string;
  title: string;
  state?: PresenceState;
}
