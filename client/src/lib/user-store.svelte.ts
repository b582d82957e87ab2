// The user page's figures: totals and daily engaged time against the previous period, the
// weekday × hour heatmap, top pages and the number of sessions, all for one user and range.
import type { Erasure, Heatmap, SessionsPage, Summary, TopPage } from '@activity-hub/protocol';
import { errorMessage, isAbort, type Api, type Query } from './api.ts';
import { filtersRange } from './report-query.ts';
import type { HistoryFilters } from './url-state.ts';
import type { LoadStatus } from './history-store.svelte.ts';

const TOP_PAGES_LIMIT = 8;
/** Sessions are counted by paging; past this many the card says "N+". */
const SESSION_COUNT_PAGES = 10;
const SESSION_COUNT_PAGE_SIZE = 200;

export interface SessionCount {
  count: number;
  capped: boolean;
}

export class UserStore {
  #status = $state<LoadStatus>('idle');
  #error = $state<string | null>(null);
  #summary = $state.raw<Summary | null>(null);
  #previous = $state.raw<Summary | null>(null);
  #heatmap = $state.raw<Heatmap | null>(null);
  #topPages = $state.raw<TopPage[]>([]);
  #sessions = $state.raw<SessionCount | null>(null);

  readonly #api: Api;
  #inflight: AbortController | null = null;

  constructor(api: Api) {
    this.#api = api;
  }

  get status(): LoadStatus {
    return this.#status;
  }
  get error(): string | null {
    return this.#error;
  }
  get summary(): Summary | null {
    return this.#summary;
  }
  get previous(): Summary | null {
    return this.#previous;
  }
  get heatmap(): Heatmap | null {
    return this.#heatmap;
  }
  get topPages(): readonly TopPage[] {
    return this.#topPages;
  }
  get sessions(): SessionCount | null {
    return this.#sessions;
  }

  async load(userId: string, f: HistoryFilters, now = Date.now()): Promise<void> {
    this.#inflight?.abort();
    const inflight = new AbortController();
    this.#inflight = inflight;
    const signal = inflight.signal;
    const range = filtersRange(f, now);
    const base: Query = { from: range.from.toISOString(), to: range.to.toISOString(), userId };
    const tzQuery = { ...base, tz: f.tz, weekStart: 'monday' };
    this.#status = 'loading';
    this.#error = null;
    try {
      const [summary, heatmap, top, sessions] = await Promise.all([
        this.#api.json<Summary>('/summary', { query: { ...tzQuery, granularity: 'day' }, signal }),
        this.#api.json<Heatmap>('/heatmap', { query: tzQuery, signal }),
        this.#api.json<{ items: TopPage[] }>('/top-pages', { query: { ...base, limit: TOP_PAGES_LIMIT }, signal }),
        this.#countSessions(base, signal),
      ]);
      const previous = await this.#api
        .json<Summary>('/summary', {
          query: { ...tzQuery, granularity: 'day', from: summary.previous.from, to: summary.previous.to },
          signal,
        })
        .catch((err: unknown) => {
          if (isAbort(err)) throw err;
          return null; // The comparison is optional.
        });
      if (signal.aborted) return;
      this.#summary = summary;
      this.#previous = previous;
      this.#heatmap = heatmap;
      this.#topPages = top.items;
      this.#sessions = sessions;
      this.#status = 'ready';
    } catch (err) {
      if (isAbort(err) || signal.aborted) return;
      this.#status = 'error';
      this.#error = errorMessage(err);
    }
  }

  /** Erases the user's stored activity (agency users only; the hub checks). */
  async erase(userId: string): Promise<Erasure> {
    return this.#api.json<Erasure>(`/users/${encodeURIComponent(userId)}/activity`, { method: 'DELETE' });
  }

  reset(): void {
    this.#inflight?.abort();
    this.#status = 'idle';
    this.#error = null;
    this.#summary = null;
    this.#previous = null;
    this.#heatmap = null;
    this.#topPages = [];
    this.#sessions = null;
  }

  async #countSessions(query: Query, signal: AbortSignal): Promise<SessionCount> {
    let count = 0;
    let cursor: string | null | undefined;
    for (let page = 0; page < SESSION_COUNT_PAGES; page++) {
      const reply = await this.#api.json<SessionsPage>('/sessions', {
        query: { ...query, limit: SESSION_COUNT_PAGE_SIZE, cursor },
        signal,
      });
      count += reply.items.length;
      cursor = reply.nextCursor;
      if (cursor === null) return { count, capped: false };
    }
    return { count, capped: true };
  }
}

/** Days with any activity, and engaged time per such day. */
export function perActiveDay(summary: Summary | null): { activeDays: number; avgMs: number } {
  if (!summary) return { activeDays: 0, avgMs: 0 };
  const active = summary.buckets.filter((b) => b.pageviews > 0 || b.engagedMs > 0);
  const engaged = active.reduce((sum, b) => sum + b.engagedMs, 0);
  return { activeDays: active.length, avgMs: active.length ? engaged / active.length : 0 };
}
