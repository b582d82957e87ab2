import type { DeviceClass, END_REASONS, PageviewWithTimes } from '@activity-hub/protocol';
import { compositeKey } from './keys.ts';

export type EndReason = (typeof END_REASONS)[number];

/**
 * The key of a session (tab visit). Tab ids are made by browsers, so the key carries the user:
 * a colleague who learns someone's tab id cannot reopen or touch that person's session.
 */
export const sessionKey = (agencyId: string, userId: string, tabId: string): string =>
  compositeKey(agencyId, userId, tabId);

/** The key of a page view: ids are unique per tenant. Parts are escaped (see keys.ts). */
export const pageviewKey = (agencyId: string, id: string): string => compositeKey(agencyId, id);

/**
 * A stored page view, as the hub's domain sees it: the protocol's page view (`pageviewSchema`)
 * with its instants as epoch ms on the hub's clock, and `key` = `pageviewKey(agencyId, id)`.
 */
export type PageviewRecord = PageviewWithTimes<number> & { key: string };

/** A stored session: one tab visit. */
export interface SessionRecord {
  key: string;
  id: string;
  userId: string;
  userName: string;
  agencyId: string;
  locationId: string | null;
  userAgent: string;
  device: DeviceClass;
  startedAt: number;
  lastSeenAt: number;
  endedAt: number | null;
}

/** One credited event inside a credit op, named by its tab's seq (see seq-window.ts). */
export interface Credit {
  seq: number;
  ms: number;
}

/** The writes the tracking service asks storage for; a flush applies them together, merged. */
export type WriteOp =
  | { kind: 'open'; pageview: PageviewRecord; session: SessionRecord }
  | {
      kind: 'credit';
      key: string;
      agencyId: string;
      userId: string;
      credits: Credit[];
      lastSeenAt: number;
    }
  | { kind: 'end'; key: string; agencyId: string; userId: string; at: number; reason: EndReason }
  | { kind: 'endSession'; key: string; agencyId: string; userId: string; at: number }
  | { kind: 'alive'; keys: string[]; at: number };

/** The op crediting one event's engaged time to a page view. */
export function creditOp(rec: PageviewRecord, seq: number, ms: number): WriteOp {
  const { key, agencyId, userId, lastSeenAt } = rec;
  return { kind: 'credit', key, agencyId, userId, credits: [{ seq, ms }], lastSeenAt };
}

/** The op ending a page view at `rec.endedAt` for `rec.endReason`. */
export function endOp(rec: PageviewRecord & { endedAt: number; endReason: EndReason }): WriteOp {
  return {
    kind: 'end',
    key: rec.key,
    agencyId: rec.agencyId,
    userId: rec.userId,
    at: rec.endedAt,
    reason: rec.endReason,
  };
}

/** A page view the sweeper or a delayed disconnect closed. */
export type ClosedPageview = Pick<
  PageviewRecord,
  'key' | 'id' | 'sessionId' | 'agencyId' | 'userId' | 'userName' | 'locationId' | 'path' | 'title'
> & { endedAt: number };
