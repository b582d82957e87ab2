// The dashboard's own query string mirrors the open tab and every history filter, so a view can
// be bookmarked or shared. It never carries a token: those live in memory and sessionStorage.
import type { Granularity } from '@activity-hub/protocol';
import { isDateString, isValidTimeZone, RANGE_PRESETS, type RangePreset } from './ranges.ts';

export const TABS = ['live', 'activity', 'history'] as const;
export type Tab = (typeof TABS)[number];

// Kept local instead of importing GRANULARITIES: that constant sits in the protocol's zod module.
export const GRANULARITY_OPTIONS: readonly Granularity[] = ['day', 'week', 'month'];

export interface HistoryFilters {
  range: RangePreset;
  granularity: Granularity;
  tz: string;
  /** Empty string means "all". */
  locationId: string;
  userId: string;
  path: string;
  /** Custom range dates (yyyy-MM-dd, inclusive); only meaningful when range is 'custom'. */
  from: string;
  to: string;
}

export interface ViewState {
  tab: Tab;
  filters: HistoryFilters;
  /** Set while a user page is open (`?view=user&userId=…`); the tab stays selected behind it. */
  userId?: string;
}

const MAX_ID = 128;
const MAX_PATH = 1_024;

export function defaultFilters(tz: string): HistoryFilters {
  return { range: 'last7', granularity: 'day', tz, locationId: '', userId: '', path: '', from: '', to: '' };
}

function oneOf<T extends string>(options: readonly T[], value: string | null, fallback: T): T {
  return value !== null && (options as readonly string[]).includes(value) ? (value as T) : fallback;
}

const bounded = (value: string | null, max: number): string => (value && value.length <= max ? value : '');

/** Reads a query string ("?tab=history&range=…"); anything missing or malformed gets its default. */
export function parseViewState(search: string, defaultTz: string): ViewState {
  const q = new URLSearchParams(search);
  const base = defaultFilters(defaultTz);
  const tz = q.get('tz');
  const filters: HistoryFilters = {
    range: oneOf(RANGE_PRESETS, q.get('range'), base.range),
    granularity: oneOf(GRANULARITY_OPTIONS, q.get('gran'), base.granularity),
    tz: tz && isValidTimeZone(tz) ? tz : base.tz,
    locationId: bounded(q.get('loc'), MAX_ID),
    userId: bounded(q.get('user'), MAX_ID),
    path: bounded(q.get('path'), MAX_PATH),
    from: '',
    to: '',
  };
  if (filters.range === 'custom') {
    const from = q.get('from') ?? '';
    const to = q.get('to') ?? '';
    if (isDateString(from) && isDateString(to)) Object.assign(filters, { from, to });
    else filters.range = base.range;
  }
  const state: ViewState = { tab: oneOf(TABS, q.get('tab'), 'live'), filters };
  const userId = bounded(q.get('userId'), MAX_ID);
  if (q.get('view') === 'user' && userId) state.userId = userId;
  return state;
}

/** Whether a query string chooses a view itself (otherwise the user's default view applies). */
export function choosesView(search: string): boolean {
  const q = new URLSearchParams(search);
  return q.has('tab') || q.has('view');
}

/**
 * The query string for a view, starting with "?". Filters are written only for the views that
 * use them: History and Activity share range, time zone, location, user and path (History adds
 * granularity); a user page keeps range and time zone. Empty filters are left out to keep shared
 * links short.
 */
export function serializeViewState(state: ViewState): string {
  const f = state.filters;
  const q = new URLSearchParams();
  if (state.userId) {
    q.set('view', 'user');
    q.set('userId', state.userId);
  }
  q.set('tab', state.tab);
  const filtered = state.tab !== 'live' || state.userId;
  if (filtered) {
    q.set('range', f.range);
    if (state.tab === 'history' && !state.userId) q.set('gran', f.granularity);
    q.set('tz', f.tz);
  }
  if (filtered && !state.userId) {
    if (f.locationId) q.set('loc', f.locationId);
    if (f.userId) q.set('user', f.userId);
    if (f.path) q.set('path', f.path);
  }
  if (filtered && f.range === 'custom') {
    q.set('from', f.from);
    q.set('to', f.to);
  }
  return `?${q.toString()}`;
}
