// The History tab's filters and the reports they select. Filters are plain $state so controls
// can bind to them; the root component mirrors them into the URL (see url-state.ts).
import type { Summary, TopPage, UserStats } from '@activity-hub/protocol';
import { ApiError, errorMessage, isAbort, saveBlob, type Api, type Query } from './api.ts';
import { rangeToDates, type RangePreset, type TimeRange } from './ranges.ts';
import { filterQuery, filtersRange, setRangePreset } from './report-query.ts';
import type { HistoryFilters } from './url-state.ts';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

const TOP_PAGES_LIMIT = 10;

export class HistoryStore {
  filters: HistoryFilters;
  status = $state<LoadStatus>('idle');
  error = $state<string | null>(null);
  /** The last load failed because the hub's database is out (`unavailable`): a passing state. */
  unavailable = $state(false);
  summary = $state.raw<Summary | null>(null);
  /** The comparison period's own buckets, drawn as a second line shifted onto this period. */
  previous = $state.raw<Summary | null>(null);
  topPages = $state.raw<TopPage[]>([]);
  users = $state.raw<UserStats[]>([]);
  exporting = $state(false);
  exportError = $state<string | null>(null);

  readonly #api: Api;
  readonly #withUsers: () => boolean;
  #inflight: AbortController | null = null;

  /** `withUsers`: whether to load the per-user table (agency users only). */
  constructor(api: Api, initial: HistoryFilters, withUsers: () => boolean) {
    this.#api = api;
    this.filters = $state(initial);
    this.#withUsers = withUsers;
  }

  /** Changes whenever any filter does; an effect that reads it re-runs on every filter change. */
  get key(): string {
    return JSON.stringify(this.filters);
  }

  get isEmpty(): boolean {
    return this.summary !== null && this.summary.totals.pageviews === 0 && this.summary.totals.engagedMs === 0;
  }

  /** Forgets loaded reports (after a sign-out, another user's data must not linger). */
  reset(): void {
    this.#inflight?.abort();
    this.status = 'idle';
    this.error = null;
    this.summary = null;
    this.previous = null;
    this.topPages = [];
    this.users = [];
  }

  /** Switching to "custom" starts from the dates currently shown, which is what people expect. */
  setRange(preset: RangePreset, now = Date.now()): void {
    setRangePreset(this.filters, preset, now);
  }

  currentRange(now = Date.now()): TimeRange {
    return filtersRange(this.filters, now);
  }

  async load(now = Date.now()): Promise<void> {
    this.#inflight?.abort();
    const inflight = new AbortController();
    this.#inflight = inflight;
    const signal = inflight.signal;
    const f = $state.snapshot(this.filters);
    const filter = this.#filterQuery(this.currentRange(now));
    this.status = 'loading';
    this.error = null;
    this.unavailable = false;
    try {
      const [summary, top, users] = await Promise.all([
        this.#api.json<Summary>('/summary', { query: summaryQuery(filter, f), signal }),
        this.#api.json<{ items: TopPage[] }>('/top-pages', { query: { ...filter, limit: TOP_PAGES_LIMIT }, signal }),
        this.#withUsers()
          ? this.#api.json<{ items: UserStats[] }>('/users', { query: filter, signal })
          : Promise.resolve({ items: [] as UserStats[] }),
      ]);
      this.summary = summary;
      this.topPages = top.items;
      this.users = users.items;
      this.previous = null;
      this.status = 'ready';
      void this.#loadPrevious(summary, filter, f, signal);
    } catch (err) {
      if (isAbort(err)) return;
      this.status = 'error';
      this.error = errorMessage(err);
      this.unavailable = err instanceof ApiError && err.code === 'unavailable';
    }
  }

  /** Downloads the CSV export for the current filters, with the bearer header (never a URL token). */
  async exportCsv(now = Date.now()): Promise<void> {
    const range = this.currentRange(now);
    const dates = rangeToDates(range, this.filters.tz);
    this.exporting = true;
    this.exportError = null;
    try {
      const blob = await this.#api.blob('/export.csv', { query: this.#filterQuery(range) });
      saveBlob(blob, `activity-${dates.from}-to-${dates.to}.csv`);
    } catch (err) {
      this.exportError = errorMessage(err);
    } finally {
      this.exporting = false;
    }
  }

  #filterQuery(range: TimeRange): Query {
    return filterQuery(this.filters, range, this.#withUsers());
  }

  /** The hub decides the comparison period (summary.previous); we only fetch its buckets. */
  async #loadPrevious(summary: Summary, filter: Query, f: HistoryFilters, signal: AbortSignal): Promise<void> {
    const query = summaryQuery({ ...filter, from: summary.previous.from, to: summary.previous.to }, f);
    try {
      const previous = await this.#api.json<Summary>('/summary', { query, signal });
      if (!signal.aborted) this.previous = previous;
    } catch {
      // The comparison line is optional: the charts simply show the current period alone.
    }
  }
}

function summaryQuery(filter: Query, f: HistoryFilters): Query {
  return { ...filter, granularity: f.granularity, tz: f.tz, weekStart: 'monday' };
}
