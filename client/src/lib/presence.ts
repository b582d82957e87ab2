// Pure helpers for the Live tab: ticking time on page, filtering, grouping and counting.
import { TIMING } from '@activity-hub/protocol';
import type { PresenceEntry, PresenceState } from '@activity-hub/protocol';

/**
 * How long an active tab keeps ticking past its last report. A tab reports every heartbeat; if
 * news is late we stop at one interval plus slack instead of inventing engagement forever.
 */
export const TICK_CAP_MS = TIMING.heartbeatIntervalMs + 5_000;

/** Engaged ms on the current page as of `now` (hub clock). Only active tabs accrue time. */
export function liveEngagedMs(entry: Pick<PresenceEntry, 'engagedMs' | 'state' | 'updatedAt'>, now: number): number {
  if (entry.state !== 'active') return entry.engagedMs;
  return entry.engagedMs + Math.min(Math.max(0, now - entry.updatedAt), TICK_CAP_MS);
}

export interface LiveFilter {
  /** Empty string means "all". */
  locationId: string;
  userId: string;
  search: string;
}

type Filterable = Pick<PresenceEntry, 'userId' | 'locationId' | 'name' | 'path' | 'title'>;

export function matchesFilter(item: Filterable, filter: LiveFilter): boolean {
  if (filter.locationId && item.locationId !== filter.locationId) return false;
  if (filter.userId && item.userId !== filter.userId) return false;
  const needle = filter.search.trim().toLowerCase();
  if (!needle) return true;
  return [item.name, item.path, item.title].some((text) => text.toLowerCase().includes(needle));
}

export interface UserGroup {
  userId: string;
  name: string;
  /** The most engaged state among the user's tabs: one active tab makes the user active. */
  state: PresenceState;
  tabs: PresenceEntry[];
}

const STATE_RANK: Record<PresenceState, number> = { active: 0, idle: 1, hidden: 2 };

/** One group per user, sorted by name; tabs oldest first so rows do not jump around. */
export function groupByUser(entries: Iterable<PresenceEntry>): UserGroup[] {
  const groups = new Map<string, UserGroup>();
  for (const entry of entries) {
    const group = groups.get(entry.userId);
    if (!group) {
      groups.set(entry.userId, { userId: entry.userId, name: entry.name, state: entry.state, tabs: [entry] });
      continue;
    }
    group.tabs.push(entry);
    if (STATE_RANK[entry.state] < STATE_RANK[group.state]) group.state = entry.state;
  }
  const sorted = [...groups.values()].sort((a, b) => a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId));
  for (const group of sorted) {
    group.tabs.sort((a, b) => a.onlineSince - b.onlineSince || a.sessionId.localeCompare(b.sessionId));
  }
  return sorted;
}

export interface PresenceCounts {
  /** Distinct users online. */
  online: number;
  /** Users by their most engaged state; active + idle + hidden === online. */
  active: number;
  idle: number;
  hidden: number;
  /** Open tabs. */
  tabs: number;
}

export function countPresence(groups: readonly UserGroup[]): PresenceCounts {
  const counts: PresenceCounts = { online: groups.length, active: 0, idle: 0, hidden: 0, tabs: 0 };
  for (const group of groups) {
    counts[group.state] += 1;
    counts.tabs += group.tabs.length;
  }
  return counts;
}
