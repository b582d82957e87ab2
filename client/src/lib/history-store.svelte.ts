// The History tab's reports for the shared report filters (filter-store.svelte.ts).
import type { Summary, TopPage, UserStats } from '@activity-hub/protocol';
import { ApiError, errorMessage, isAbort, saveBlob, type Api, type Query } from './api.ts';
import type { FilterStore } from './filter-store.svelte.ts';
import { rangeToDates, type TimeRange } from './ranges.ts';
import { filterQuery } from './report-query.ts';
import type { HistoryFilters } from './url-state.ts';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

const TOP_PAGES_LIMIT = 10;

export class HistoryStore {
  #status = $state<LoadStatus>('idle');
  #error = $state<string | null>(null);
  #unavailable = $state(false);
  #summary = $state.raw<Summary | null>(null);
  #previous = $state.raw<Summary | null>(null);
  #topPages = $state.raw<TopPage[]>([]);
  #users = $state.raw<UserStats[]>([]);
  #exporting = $state(false);
  #exportError = $state<string | null>(null);

  readonly #api: Api;
  readonly #filters: FilterStore;
  readonly #withUsers: () => boolean;
  #inflight: AbortController | null = null;

  /** `withUsers`: whether to load the per-user table (agency users only). */
  constructor(api: Api, filters: FilterStore, withUsers: () => boolean) {
    this.#api = api;
    this.#filters = filters;
    this.#withUsers = withUsers;
  }

  get status(): LoadStatus {
    return this.#status;
  }
  get error(): string | null {
    return this.#error;
  }
  /** The last load failed because the hub's database is out (`unavailable`): a passing state. */
  get unavailable(): boolean {
    return this.#unavailable;
  }
  get summary(): Summary | null {
    return this.#summary;
  }
  /** The comparison period's own buckets, drawn as a second line shifted onto this period. */
  get previous(): Summary | null {
    return this.#previous;
  }
  get topPages(): readonly TopPage[] {
    return this.#topPages;
  }
  get users(): readonly UserStats[] {
    return this.#users;
  }
  get exporting(): boolean {
    return this.#exporting;
  }
  get exportError(): string | null {
    return this.#exportError;
  }

  get filters(): FilterStore {
    return this.#filters;
  }

  get isEmpty(): boolean {
    return this.#summary !== null && this.#summary.totals.pageviews === 0 && this.#summary.totals.engagedMs === 0;
  }

  /** Forgets loaded reports (after a sign-out, another user's data must not linger). */
  reset(): void {
    this.#inflight?.abort();
    this.#status = 'idle';
    this.#error = null;
    this.#summary = null;
    this.#previous = null;
    this.#topPages = [];
    this.#users = [];
  }

  async load(now = Date.now()): Promise<void> {
    this.#inflight?.abort();
    const inflight = new AbortController();
    this.#inflight = inflight;
    const signal = inflight.signal;
    const f = $state.snapshot(this.#filters.current);
    const filter = this.#filterQuery(this.#filters.range(now));
    this.#status = 'loading';
    this.#error = null;
    this.#unavailable = false;
    try {
      const [summary, top, users] = await Promise.all([
        this.#api.json<Summary>('/summary', { query: summaryQuery(filter, f), signal }),
        this.#api.json<{ items: TopPage[] }>('/top-pages', { query: { ...filter, limit: TOP_PAGES_LIMIT }, signal }),
        this.#withUsers()
          ? this.#api.json<{ items: UserStats[] }>('/users', { query: filter, signal })
          : Promise.resolve({ items: [] as UserStats[] }),
      ]);
      this.#summary = summary;
      this.#topPages = top.items;
      this.#users = users.items;
      this.#previous = null;
      this.#status = 'ready';
      void this.#loadPrevious(summary, filter, f, signal);
    } catch (err) {
      if (isAbort(err)) return;
      this.#status = 'error';
      this.#error = errorMessage(err);
      this.#unavailable = err instanceof ApiError && err.code === 'unavailable';
    }
  }

  /** Downloads the CSV export for the current filters, with the bearer header (never a URL token). */
  async exportCsv(now = Date.now()): Promise<void> {
    const range = this.#filters.range(now);
    const dates = rangeToDates(range, this.#filters.current.tz);
    this.#exporting = true;
    this.#exportError = null;
    try {
      const blob = await this.#api.blob('/export.csv', { query: this.#filterQuery(range) });
      saveBlob(blob, `activity-${dates.from}-to-${dates.to}.csv`);
    } catch (err) {
      this.#exportError = errorMessage(err);
    } finally {
      this.#exporting = false;
    }
  }

  #filterQuery(range: TimeRange): Query {
    return filterQuery(this.#filters.current, range, this.#withUsers());
  }

  /** The hub decides the comparison period (summary.previous); we only fetch its buckets. */
  async #loadPrevious(summary: Summary, filter: Query, f: HistoryFilters, signal: AbortSignal): Promise<void> {
    const query = summaryQuery({ ...filter, from: summary.previous.from, to: summary.previous.to }, f);
    try {
      const previous = await this.#api.json<Summary>('/summary', { query, signal });
      if (!signal.aborted) this.#previous = previous;
    } catch {
      // The comparison line is optional: the charts simply show the current period alone.
    }
  }
}

function summaryQuery(filter: Query, f: HistoryFilters): Query {
  return { ...filter, granularity: f.granularity, tz: f.tz, weekStart: 'monday' };
}
