// Smoke tests for the dashboard's pure helpers: formatting, report ranges across DST, URL state
// and live presence maths. They run in Node; nothing here touches the DOM.
import { describe, expect, it } from 'vitest';
import type { PresenceEntry } from '@activity-hub/protocol';
import {
  chartDurationUnit,
  formatAgo,
  formatChange,
  formatDuration,
  formatDurationShort,
  initials,
  inUnit,
} from '../../client/src/lib/format.ts';
import { computeRange, isDateString, rangeToDates } from '../../client/src/lib/ranges.ts';
import {
  choosesView,
  defaultFilters,
  parseViewState,
  serializeViewState,
  type ViewState,
} from '../../client/src/lib/url-state.ts';
import {
  countPresence,
  groupByUser,
  liveEngagedMs,
  matchesFilter,
  TICK_CAP_MS,
} from '../../client/src/lib/presence.ts';
import { toQueryString } from '../../client/src/lib/api.ts';

const HOUR = 3_600_000;

describe('formatDuration', () => {
  it('shows seconds below an hour and drops them above', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-5)).toBe('0s');
    expect(formatDuration(Number.NaN)).toBe('0s');
    expect(formatDuration(45_999)).toBe('45s');
    expect(formatDuration(65_000)).toBe('1m 05s');
    expect(formatDuration(HOUR + 2 * 60_000 + 59_000)).toBe('1h 02m');
    expect(formatDuration(27 * HOUR)).toBe('1d 3h');
  });

  it('has short forms for axes and relative times', () => {
    expect(formatDurationShort(90_000)).toBe('2m');
    expect(formatDurationShort(30_000)).toBe('30s');
    expect(formatDurationShort(1.5 * HOUR)).toBe('1.5h');
    expect(formatAgo(1_000, 20_000)).toBe('just now');
    expect(formatAgo(0, 5 * 60_000)).toBe('5m ago');
    expect(formatAgo(0, 3 * HOUR)).toBe('3h ago');
    expect(initials('Ada  Lovelace')).toBe('AL');
    expect(initials('')).toBe('?');
  });

  it('formats change against the previous period', () => {
    expect(formatChange(120, 100)).toEqual({ text: '+20%', direction: 'up' });
    expect(formatChange(50, 100)).toEqual({ text: '−50%', direction: 'down' });
    expect(formatChange(5, 0)).toEqual({ text: 'new', direction: 'new' });
    expect(formatChange(0, 0)).toEqual({ text: '0%', direction: 'flat' });
  });
});

describe('computeRange', () => {
  const tz = 'America/New_York';

  it('spans whole local days across the spring-forward change (23-hour day)', () => {
    // 2024-03-12 15:00 in New York (EDT, UTC−4); DST began on Sunday 2024-03-10.
    const now = new Date('2024-03-12T19:00:00Z');
    const { from, to } = computeRange('last7', tz, now);
    expect(from.toISOString()).toBe('2024-03-06T05:00:00.000Z'); // midnight EST
    expect(to.toISOString()).toBe('2024-03-13T04:00:00.000Z'); // midnight EDT
    expect(to.getTime() - from.getTime()).toBe(7 * 24 * HOUR - HOUR);
  });

  it('handles the fall-back change (25-hour day) for yesterday', () => {
    const now = new Date('2024-11-04T12:00:00Z'); // Monday morning in New York
    const { from, to } = computeRange('yesterday', tz, now);
    expect(from.toISOString()).toBe('2024-11-03T04:00:00.000Z');
    expect(to.toISOString()).toBe('2024-11-04T05:00:00.000Z');
    expect(to.getTime() - from.getTime()).toBe(25 * HOUR);
  });

  it('uses the zone, not the machine, to decide which day it is', () => {
    const now = new Date('2024-03-12T02:00:00Z'); // still 2024-03-11 in New York
    expect(computeRange('today', tz, now).from.toISOString()).toBe('2024-03-11T04:00:00.000Z');
    expect(computeRange('today', 'Asia/Tokyo', now).from.toISOString()).toBe('2024-03-11T15:00:00.000Z');
  });

  it('computes calendar months and custom ranges', () => {
    const now = new Date('2024-03-12T19:00:00Z');
    const last = computeRange('lastMonth', tz, now);
    expect(last.from.toISOString()).toBe('2024-02-01T05:00:00.000Z');
    expect(last.to.toISOString()).toBe('2024-03-01T05:00:00.000Z');
    const month = computeRange('thisMonth', tz, now);
    expect(month.to.toISOString()).toBe('2024-04-01T04:00:00.000Z');
    // A reversed pick is tolerated; both ends are inclusive days.
    const custom = computeRange('custom', tz, now, { from: '2024-03-10', to: '2024-03-09' });
    expect(custom.from.toISOString()).toBe('2024-03-09T05:00:00.000Z');
    expect(custom.to.toISOString()).toBe('2024-03-11T04:00:00.000Z');
    expect(rangeToDates(custom, tz)).toEqual({ from: '2024-03-09', to: '2024-03-10' });
  });

  it('validates calendar dates', () => {
    expect(isDateString('2024-02-29')).toBe(true);
    expect(isDateString('2023-02-29')).toBe(false);
    expect(isDateString('2024-3-1')).toBe(false);
  });
});

describe('URL state', () => {
  it('round-trips every history filter', () => {
    const state: ViewState = {
      tab: 'history',
      filters: {
        range: 'custom',
        granularity: 'week',
        tz: 'Europe/Berlin',
        locationId: 'loc 1',
        userId: 'u&2',
        path: '/contacts?x=1',
        from: '2024-03-01',
        to: '2024-03-31',
      },
    };
    const search = serializeViewState(state);
    expect(search).toContain('tab=history');
    expect(search).not.toMatch(/token/i);
    expect(parseViewState(search, 'UTC')).toEqual(state);
    expect(serializeViewState(parseViewState(search, 'UTC'))).toBe(search);
  });

  it('falls back to defaults for missing or malformed values', () => {
    const parsed = parseViewState('?tab=nope&range=forever&gran=hour&tz=Mars/Olympus&range=custom', 'Asia/Tokyo');
    expect(parsed).toEqual({ tab: 'live', filters: defaultFilters('Asia/Tokyo') });
    const custom = parseViewState('?tab=history&range=custom&from=2024-13-01&to=2024-01-02', 'UTC');
    expect(custom.filters.range).toBe('last7');
  });

  it('round-trips the Activity tab and a user page, and knows when a link chose a view', () => {
    const filters = { ...defaultFilters('Asia/Kolkata'), range: 'last30' as const, userId: 'ana', path: '/x' };
    const activity = serializeViewState({ tab: 'activity', filters });
    expect(activity).toBe('?tab=activity&range=last30&tz=Asia%2FKolkata&user=ana&path=%2Fx');
    expect(parseViewState(activity, 'UTC')).toEqual({ tab: 'activity', filters });
    const user = serializeViewState({ tab: 'history', userId: 'u&1', filters });
    expect(user).toBe('?view=user&userId=u%261&tab=history&range=last30&tz=Asia%2FKolkata');
    expect(parseViewState(user, 'UTC')).toMatchObject({ tab: 'history', userId: 'u&1' });
    expect(parseViewState('?view=user', 'UTC').userId).toBeUndefined();
    expect(choosesView('')).toBe(false);
    expect(choosesView('?view=user&userId=a')).toBe(true);
  });

  it('keeps the live tab URL short', () => {
    expect(serializeViewState({ tab: 'live', filters: defaultFilters('UTC') })).toBe('?tab=live');
  });

  it('leaves empty query values out of API calls', () => {
    expect(toQueryString({ from: 'a', userId: '', path: undefined, limit: 5 })).toBe('?from=a&limit=5');
    expect(toQueryString({})).toBe('');
  });
});

describe('presence', () => {
  const entry = (over: Partial<PresenceEntry>): PresenceEntry => ({
    sessionId: 's1',
    userId: 'u1',
    name: 'Ada',
    agencyId: 'a1',
    locationId: 'l1',
    pageviewId: 'p1',
    path: '/contacts',
    title: 'Contacts',
    onlineSince: 0,
    pageSince: 0,
    engagedMs: 10_000,
    state: 'active',
    device: 'desktop',
    updatedAt: 100_000,
    ...over,
  });

  it('ticks active tabs up to a cap and freezes idle ones', () => {
    expect(liveEngagedMs(entry({}), 105_000)).toBe(15_000);
    expect(liveEngagedMs(entry({}), 100_000 + 10 * 60_000)).toBe(10_000 + TICK_CAP_MS);
    expect(liveEngagedMs(entry({}), 90_000)).toBe(10_000); // hub clock slightly behind
    expect(liveEngagedMs(entry({ state: 'idle' }), 200_000)).toBe(10_000);
  });

  it('groups tabs by user and counts each user once, by their most engaged tab', () => {
    const groups = groupByUser([
      entry({ sessionId: 's1', state: 'hidden' }),
      entry({ sessionId: 's2', state: 'idle' }),
      entry({ sessionId: 's3', userId: 'u2', name: 'Bob', state: 'hidden' }),
    ]);
    expect(groups.map((g) => [g.userId, g.state, g.tabs.length])).toEqual([
      ['u1', 'idle', 2],
      ['u2', 'hidden', 1],
    ]);
    expect(countPresence(groups)).toEqual({ online: 2, active: 0, idle: 1, hidden: 1, tabs: 3 });
  });

  it('filters by location, user and text', () => {
    const e = entry({});
    expect(matchesFilter(e, { locationId: '', userId: '', search: 'CONTACT' })).toBe(true);
    expect(matchesFilter(e, { locationId: 'l2', userId: '', search: '' })).toBe(false);
    expect(matchesFilter(e, { locationId: '', userId: 'u1', search: 'nothing' })).toBe(false);
  });

  it('charts engaged time in minutes, or hours once any value of either series reaches 2 h', () => {
    expect(chartDurationUnit([800, null, 90 * 60_000], null)).toBe(60_000);
    expect(chartDurationUnit([0, null], [2 * 3_600_000])).toBe(3_600_000);
    expect(chartDurationUnit([], null)).toBe(60_000);
    expect(inUnit([90_000, null, 0], 60_000)).toEqual([1.5, null, 0]);
  });
});
