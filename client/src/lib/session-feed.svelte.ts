// A cursor-paged list of sessions (GET /sessions), newest first, for the Activity tab and the
// user page. Pages are appended in order; an id already shown is never shown twice, and a page
// is only requested with the cursor of the one before it, so paging to the end leaves no gaps.
import type { SessionItem, SessionsPage } from '@activity-hub/protocol';
import { errorMessage, isAbort, type Api, type Query } from './api.ts';

export type FeedStatus = 'idle' | 'loading' | 'ready' | 'error';

const PAGE_SIZE = 50;
/** With a path filter the hub may answer empty pages that still have a cursor; follow a few at once. */
const EMPTY_PAGES_FOLLOWED = 5;

export class SessionFeed {
  #items = $state.raw<SessionItem[]>([]);
  #status = $state<FeedStatus>('idle');
  #moreStatus = $state<FeedStatus>('idle');
  #error = $state<string | null>(null);
  #nextCursor = $state<string | null>(null);

  readonly #api: Api;
  readonly #pageSize: number;
  #query: Query = {};
  #inflight: AbortController | null = null;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  #seen = new Set<string>();

  constructor(api: Api, pageSize = PAGE_SIZE) {
    this.#api = api;
    this.#pageSize = pageSize;
  }

  get items(): readonly SessionItem[] {
    return this.#items;
  }
  /** The first page's state: 'loading' shows skeletons, 'error' an error notice. */
  get status(): FeedStatus {
    return this.#status;
  }
  /** A later page's state, shown under the list. */
  get moreStatus(): FeedStatus {
    return this.#moreStatus;
  }
  get error(): string | null {
    return this.#error;
  }
  get nextCursor(): string | null {
    return this.#nextCursor;
  }

  /** True once the last page is in. */
  get done(): boolean {
    return this.#status === 'ready' && this.#nextCursor === null;
  }

  get busy(): boolean {
    return this.#status === 'loading' || this.#moreStatus === 'loading';
  }

  /** Starts over with new filters (the first page). */
  async load(query: Query): Promise<void> {
    this.#inflight?.abort();
    this.#query = query;
    this.#seen.clear();
    this.#items = [];
    this.#nextCursor = null;
    this.#error = null;
    this.#moreStatus = 'idle';
    this.#status = 'loading';
    await this.#fetch(undefined, (status) => (this.#status = status));
  }

  /** The next page, if there is one and nothing is loading. */
  async loadMore(): Promise<void> {
    if (this.busy || this.#status !== 'ready' || this.#nextCursor === null) return;
    this.#moreStatus = 'loading';
    this.#error = null;
    await this.#fetch(this.#nextCursor, (status) => (this.#moreStatus = status));
  }

  /** Forgets everything (after a sign-out or an erasure). */
  reset(): void {
    this.#inflight?.abort();
    this.#inflight = null;
    this.#seen.clear();
    this.#items = [];
    this.#nextCursor = null;
    this.#error = null;
    this.#status = 'idle';
    this.#moreStatus = 'idle';
  }

  async #fetch(cursor: string | undefined, setStatus: (status: FeedStatus) => void): Promise<void> {
    const inflight = new AbortController();
    this.#inflight = inflight;
    try {
      let next: string | null | undefined = cursor;
      for (let followed = 0; ; followed++) {
        const page: SessionsPage = await this.#api.json<SessionsPage>('/sessions', {
          query: { ...this.#query, limit: this.#pageSize, cursor: next },
          signal: inflight.signal,
        });
        if (inflight.signal.aborted) return;
        const fresh = page.items.filter((item) => !this.#seen.has(item.id));
        for (const item of fresh) this.#seen.add(item.id);
        if (fresh.length) this.#items = [...this.#items, ...fresh];
        this.#nextCursor = page.nextCursor;
        next = page.nextCursor;
        if (fresh.length > 0 || next === null || followed + 1 >= EMPTY_PAGES_FOLLOWED) break;
      }
      setStatus('ready');
    } catch (err) {
      if (isAbort(err) || inflight.signal.aborted) return;
      this.#error = errorMessage(err);
      setStatus('error');
    }
  }
}
