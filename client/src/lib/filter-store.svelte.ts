// The report filters History, Activity and the user page share, and the URL mirrors (see
// url-state.ts). Views read them; every change goes through a method here.
import type { RangePreset, TimeRange } from './ranges.ts';
import { filtersRange, rangePresetPatch } from './report-query.ts';
import type { HistoryFilters } from './url-state.ts';

export class FilterStore {
  // Deep state, so a change to one filter only re-runs what reads that filter.
  readonly #filters: HistoryFilters;

  constructor(initial: HistoryFilters) {
    this.#filters = $state({ ...initial });
  }

  /** The filters as they are now (reactive, field by field). */
  get current(): Readonly<HistoryFilters> {
    return this.#filters;
  }

  /** Changes whenever any filter does; an effect that reads it re-runs on every filter change. */
  get key(): string {
    return JSON.stringify(this.#filters);
  }

  /** The instants the range covers, as of `now`. */
  range(now = Date.now()): TimeRange {
    return filtersRange(this.#filters, now);
  }

  set(patch: Partial<HistoryFilters>): void {
    Object.assign(this.#filters, patch);
  }

  /** Switching to "custom" starts from the dates currently shown, which is what people expect. */
  setRange(preset: RangePreset, now = Date.now()): void {
    this.set(rangePresetPatch(this.#filters, preset, now));
  }

  /** Drops the location, user and path filters (the range and time zone stay). */
  clearScope(): void {
    this.set({ locationId: '', userId: '', path: '' });
  }
}
