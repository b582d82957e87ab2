import { z } from 'zod';
import { DEVICE_CLASSES, PRESENCE_STATES } from './constants.ts';

export type PresenceState = (typeof PRESENCE_STATES)[number];
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

const epochMs = z.number().int().describe('epoch milliseconds');

/** One open tab of one user, as the live view shows it. Times are epoch ms on the hub's clock. */
export const presenceEntrySchema = z.object({
  sessionId: z.string(),
  userId: z.string(),
  name: z.string(),
  agencyId: z.string(),
  locationId: z.string().nullable(),
  pageviewId: z.string(),
  path: z.string(),
  title: z.string(),
  /** When this tab came online. */
  onlineSince: epochMs,
  /** When the current page view started. */
  pageSince: epochMs,
  /** Engaged ms on the current page so far. */
  engagedMs: z.number().int().min(0),
  state: z.enum(PRESENCE_STATES),
  device: z.enum(DEVICE_CLASSES),
  /** Last evidence from the tab. */
  updatedAt: epochMs,
});
export type PresenceEntry = z.infer<typeof presenceEntrySchema>;

/** The first message on /live, and the reply of `GET /api/v1/presence`. */
export const presenceSnapshotSchema = z.object({ entries: z.array(presenceEntrySchema), serverTime: epochMs });
export type PresenceSnapshot = z.infer<typeof presenceSnapshotSchema>;

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
