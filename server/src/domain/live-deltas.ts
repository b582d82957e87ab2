import type { DeviceClass, PresenceEntry, PresenceState } from '@activity-hub/protocol';
import type { PresenceProgress } from './ports.ts';
import type { PageviewRecord } from './tracking-types.ts';

/**
 * The presence entry of a tab whose current page view is `rec`, as of its last evidence. A
 * rebuilt entry (after a restart) cannot know the tab's first page, so online-since is this
 * page's start.
 */
export function presenceOf(rec: PageviewRecord, state: PresenceState, device: DeviceClass): PresenceEntry {
  return {
    sessionId: rec.sessionId,
    userId: rec.userId,
    name: rec.userName,
    agencyId: rec.agencyId,
    locationId: rec.locationId,
    pageviewId: rec.id,
    path: rec.path,
    title: rec.title,
    onlineSince: rec.startedAt,
    pageSince: rec.startedAt,
    engagedMs: rec.engagedMs,
    state,
    device,
    updatedAt: rec.lastSeenAt,
  };
}

/** A tab moved to a new page view (or opened with it). */
export interface PageviewDelta {
  kind: 'pageview';
  entry: PresenceEntry;
  isNewTab: boolean;
}

/**
 * A heartbeat's progress. `rec` and `device` rebuild the entry of a still-open page view the
 * presence store has lost (a restarted single instance); only its fixed fields are read (who,
 * where, since when), the moving ones are the scalars here, as of the heartbeat.
 */
export interface ProgressUpdate extends PresenceProgress {
  rec: PageviewRecord;
  device: DeviceClass;
}

/** A tab went away (unload, disconnect, timeout); only its current page view (or any, null) removes it. */
export interface TabGone {
  agencyId: string;
  sessionId: string;
  pageviewId: string | null;
  at: number;
}

/** What a tracking transition asks the live view to show; plain data, published by LiveActivity. */
export type LiveDelta = PageviewDelta | (ProgressUpdate & { kind: 'progress' }) | (TabGone & { kind: 'offline' });
