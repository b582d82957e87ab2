// Which view is open: a tab, or a user page in front of it. Opening a user page is a new
// history entry (the back button returns); tab switches and filter tweaks replace the entry.
import { createContext } from 'svelte';
import type { Tab, ViewState } from './url-state.ts';

export class Nav {
  #tab = $state<Tab>('live');
  #userId = $state<string | null>(null);
  #push = false;

  constructor(initial: Pick<ViewState, 'tab' | 'userId'>) {
    this.#tab = initial.tab;
    this.#userId = initial.userId ?? null;
  }

  get tab(): Tab {
    return this.#tab;
  }
  /** The user whose page is open, or null. */
  get userId(): string | null {
    return this.#userId;
  }

  openUser(userId: string): void {
    if (this.#userId === userId) return;
    this.#userId = userId;
    this.#push = true;
    // The page starts at its top, like any new page.
    if (typeof window !== 'undefined') window.scrollTo({ top: 0 });
  }

  selectTab(tab: Tab): void {
    if (this.#userId !== null) this.#push = true;
    this.#userId = null;
    this.#tab = tab;
  }

  /** Restores a view from the URL (the back and forward buttons). */
  restore(state: Pick<ViewState, 'tab' | 'userId'>): void {
    this.#tab = state.tab;
    this.#userId = state.userId ?? null;
    this.#push = false;
  }

  /** Whether the next URL write should be a new history entry; reading it clears it. */
  takePush(): boolean {
    const push = this.#push;
    this.#push = false;
    return push;
  }
}

export const [getNav, setNav] = createContext<Nav>();
