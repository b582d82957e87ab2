// Who is signed in, with which token, and keeping that token fresh. Views read the runes;
// the live socket subscribes to renewals so it can re-authenticate without reconnecting.
import { TIMING } from '@activity-hub/protocol';
import type { AuthConfig, AuthReply, DevLogin, HubUser } from '@activity-hub/protocol';
import { Api, ApiError, errorMessage, isAbort } from './api.ts';
import { readStored, removeStored, writeStored } from './session-storage.ts';
import { isEmbedded, requestUserContext, SsoTimeoutError } from './sso.ts';

/** Retry delay after a renewal failed for a transient reason (network, 5xx). */
const RENEW_RETRY_MS = 30_000;

export type SessionStatus = 'loading' | 'signed-out' | 'handshake' | 'signing-in' | 'signed-in';
export interface SessionError {
  kind: 'config' | 'sso-timeout' | 'sign-in' | 'expired';
  message: string;
}

export class Session {
  #status = $state<SessionStatus>('loading');
  #config = $state.raw<AuthConfig | null>(null);
  #user = $state.raw<HubUser | null>(null);
  #expiresAt = $state(0);
  #error = $state.raw<SessionError | null>(null);
  readonly isAgency = $derived(this.#user?.role === 'agency');
  /** Inside HighLevel the identity comes from the parent frame, never from storage. */
  readonly embedded = isEmbedded();
  readonly api: Api;

  #token: string | null = null;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #handshake: AbortController | null = null;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- callbacks, deliberately not reactive
  readonly #renewListeners = new Set<(token: string) => void>();

  constructor() {
    this.api = new Api(
      () => this.#token,
      () => this.expire(),
    );
  }

  get status(): SessionStatus {
    return this.#status;
  }
  get config(): AuthConfig | null {
    return this.#config;
  }
  get user(): HubUser | null {
    return this.#user;
  }
  get expiresAt(): number {
    return this.#expiresAt;
  }
  get error(): SessionError | null {
    return this.#error;
  }

  /** The current bearer token. Deliberately not reactive: nothing should render it. */
  get token(): string | null {
    return this.#token;
  }

  /** Restores a stored session, or loads the sign-in options and starts the right sign-in. */
  async init(): Promise<void> {
    this.#error = null;
    const stored = this.embedded ? null : readStored();
    if (stored) return this.#apply(stored);
    this.#status = 'loading';
    try {
      this.#config = await this.api.json<AuthConfig>('/auth/config', { auth: false });
    } catch (err) {
      this.#status = 'signed-out';
      this.#error = { kind: 'config', message: errorMessage(err) };
      return;
    }
    if (this.embedded && this.#config.highlevelSso) await this.signInWithHighLevel();
    else this.#status = 'signed-out';
  }

  async signInWithHighLevel(): Promise<void> {
    this.#handshake?.abort();
    const handshake = new AbortController();
    this.#handshake = handshake;
    this.#error = null;
    this.#status = 'handshake';
    try {
      const payload = await requestUserContext({ signal: handshake.signal });
      this.#status = 'signing-in';
      // Exchanged immediately and never stored: the payload itself does not expire.
      this.#apply(await this.api.json<AuthReply>('/auth/sso', { method: 'POST', body: { payload }, auth: false }));
    } catch (err) {
      if (isAbort(err)) return;
      this.#status = 'signed-out';
      this.#error = { kind: err instanceof SsoTimeoutError ? 'sso-timeout' : 'sign-in', message: errorMessage(err) };
    }
  }

  async signInDev(login: DevLogin): Promise<void> {
    this.#error = null;
    this.#status = 'signing-in';
    try {
      this.#apply(await this.api.json<AuthReply>('/auth/dev', { method: 'POST', body: login, auth: false }));
    } catch (err) {
      this.#status = 'signed-out';
      this.#error = { kind: 'sign-in', message: errorMessage(err) };
    }
  }

  /** Forgets the token and shows the sign-in options again. */
  async signOut(): Promise<void> {
    this.#clear();
    await this.init();
  }

  /** The hub rejected our token: inside HighLevel silently redo the handshake, else ask the user. */
  expire(message = 'Your session has ended. Sign in again to continue.'): void {
    if (this.#status !== 'signed-in') return;
    this.#clear();
    if (this.embedded && this.#config?.highlevelSso) {
      void this.signInWithHighLevel();
      return;
    }
    this.#status = 'signed-out';
    this.#error = { kind: 'expired', message };
    if (!this.#config) {
      this.api
        .json<AuthConfig>('/auth/config', { auth: false })
        .then((config) => (this.#config = config))
        .catch((err: unknown) => (this.#error = { kind: 'config', message: errorMessage(err) }));
    }
  }

  /** Called with every renewed token; returns an unsubscribe function. */
  onRenewed(listener: (token: string) => void): () => void {
    this.#renewListeners.add(listener);
    return () => this.#renewListeners.delete(listener);
  }

  #apply(reply: AuthReply): void {
    this.#token = reply.token;
    this.#user = reply.user;
    this.#expiresAt = reply.expiresAt;
    this.#error = null;
    this.#status = 'signed-in';
    if (!this.embedded) writeStored(reply);
    // Renew ahead of expiry, but never sooner than half the remaining lifetime: a token shorter
    // than the renewal window would otherwise be renewed in a tight loop.
    const remaining = reply.expiresAt - Date.now();
    this.#scheduleRenewal(Math.max(remaining - TIMING.tokenRenewBeforeMs, remaining / 2));
  }

  #clear(): void {
    clearTimeout(this.#renewTimer);
    this.#handshake?.abort();
    this.#token = null;
    this.#user = null;
    this.#expiresAt = 0;
    removeStored();
  }

  #scheduleRenewal(delayMs: number): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(() => void this.#renew(), Math.max(0, delayMs));
  }

  async #renew(): Promise<void> {
    try {
      const reply = await this.api.json<AuthReply>('/auth/refresh', { method: 'POST' });
      if (this.#status !== 'signed-in') return;
      this.#apply(reply);
      for (const listener of this.#renewListeners) listener(reply.token);
    } catch (err) {
      // An auth failure already expired the session (via the Api hook); anything else is
      // transient, so retry while the current token still has time left.
      if (err instanceof ApiError && err.isAuthFailure) return;
      if (Date.now() + RENEW_RETRY_MS < this.#expiresAt) this.#scheduleRenewal(RENEW_RETRY_MS);
      else this.expire();
    }
  }
}
