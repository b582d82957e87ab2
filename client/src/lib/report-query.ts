// The API query for a set of report filters: shared by History, Activity and the user page so
// the three always ask the hub the same question for the same filters.
import type { Query } from './api.ts';
import { computeRange, rangeToDates, type RangePreset, type TimeRange } from './ranges.ts';
import type { HistoryFilters } from './url-state.ts';

/** The instants the filters' range covers, as of `now`. */
export function filtersRange(f: Readonly<HistoryFilters>, now = Date.now()): TimeRange {
  return computeRange(f.range, f.tz, now, { from: f.from, to: f.to });
}

/**
 * `withUsers`: whether the user filter applies (agency users). A location user's scope is
 * themselves anyway, and a stale `user` in a shared link must not make the hub refuse the query.
 */
export function filterQuery(f: Readonly<HistoryFilters>, range: TimeRange, withUsers: boolean): Query {
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    locationId: f.locationId,
    userId: withUsers ? f.userId : '',
    path: f.path.trim(),
  };
}

/** Only the filters a query reads, so an effect keyed on it ignores unrelated changes. */
export function filtersKey(f: Readonly<HistoryFilters>, fields: readonly (keyof HistoryFilters)[]): string {
  return JSON.stringify(fields.map((field) => f[field]));
}

/** What choosing `preset` changes: "custom" starts from the dates currently shown, as people expect. */
export function rangePresetPatch(
  f: Readonly<HistoryFilters>,
  preset: RangePreset,
  now = Date.now(),
): Partial<HistoryFilters> {
  if (preset === 'custom' && (!f.from || !f.to)) return { ...rangeToDates(filtersRange(f, now), f.tz), range: preset };
  return { range: preset };
}
