// The locations and users in the signed-in user's scope, for the filter pickers of both tabs.
import type { Directory } from '@activity-hub/protocol';
import { errorMessage, type Api } from './api.ts';

export type DirectoryStatus = 'idle' | 'loading' | 'ready' | 'error';

export class DirectoryStore {
  #locations = $state.raw<Directory['locations']>([]);
  #users = $state.raw<Directory['users']>([]);
  #status = $state<DirectoryStatus>('idle');
  #error = $state<string | null>(null);

  readonly #api: Api;

  constructor(api: Api) {
    this.#api = api;
  }

  get locations(): Readonly<Directory['locations']> {
    return this.#locations;
  }
  get users(): Readonly<Directory['users']> {
    return this.#users;
  }
  get status(): DirectoryStatus {
    return this.#status;
  }
  get error(): string | null {
    return this.#error;
  }

  /** Loads once per sign-in; pickers degrade to what they can see if this fails. */
  async load(): Promise<void> {
    if (this.#status === 'loading' || this.#status === 'ready') return;
    this.#status = 'loading';
    try {
      const directory = await this.#api.json<Directory>('/directory');
      this.#locations = [...directory.locations].sort((a, b) => a.locationId.localeCompare(b.locationId));
      this.#users = [...directory.users].sort((a, b) => a.name.localeCompare(b.name));
      this.#status = 'ready';
      this.#error = null;
    } catch (err) {
      this.#status = 'error';
      this.#error = errorMessage(err);
    }
  }

  reset(): void {
    this.#locations = [];
    this.#users = [];
    this.#status = 'idle';
    this.#error = null;
  }

  userName(userId: string): string {
    return this.#users.find((user) => user.userId === userId)?.name ?? userId;
  }
}
