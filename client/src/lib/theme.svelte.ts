// Light/dark theme: follows the OS until the user picks one, then remembers the pick.
// The resolved theme is always written to <html data-theme>, which the CSS keys off.
import { MediaQuery } from 'svelte/reactivity';

export type ThemeName = 'light' | 'dark';
const STORAGE_KEY = 'activity-hub.theme';

function readChoice(): ThemeName | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

export class Theme {
  #choice = $state<ThemeName | null>(readChoice());
  readonly #systemDark = new MediaQuery('(prefers-color-scheme: dark)');
  readonly current: ThemeName = $derived(this.#choice ?? (this.#systemDark.current ? 'dark' : 'light'));

  /** The user's explicit choice; null means "follow the system". */
  get choice(): ThemeName | null {
    return this.#choice;
  }

  toggle(): void {
    this.#choice = this.current === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(STORAGE_KEY, this.#choice);
    } catch {
      // Storage refused: the choice still applies until reload.
    }
  }

  /** Keeps <html data-theme> in sync; call once from the root component. */
  apply(): void {
    $effect(() => {
      document.documentElement.dataset.theme = this.current;
    });
  }
}
