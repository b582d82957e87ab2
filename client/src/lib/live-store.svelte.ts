// The live socket and what it tells us: one presence entry per open tab, the event feed, and
// the connection's state. Filtering and grouping for display live in presence.ts.
import { io, type Socket } from 'socket.io-client';
import { LIMITS, NAMESPACES, isAuthFailed } from '@activity-hub/protocol';
import type {
  FeedItem,
  Goodbye,
  LiveClientToServerEvents,
  LiveServerToClientEvents,
  PresenceEntry,
  PresenceSnapshot,
} from '@activity-hub/protocol';
import { ServerClock } from './clock.svelte.ts';
import { INITIAL_LIVE_STATE, liveReducer, type LiveEvent, type LiveState } from './live-reducer.ts';
import type { Session } from './session.svelte.ts';
import { addToFeed } from './feed.ts';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'error';
type LiveSocket = Socket<LiveServerToClientEvents, LiveClientToServerEvents>;

const ACK_TIMEOUT_MS = 10_000;

export class LiveStore {
  #live = $state.raw<LiveState>(INITIAL_LIVE_STATE);
  #feed = $state.raw<FeedItem[]>([]);
  #connection = $state<ConnectionState>('idle');
  #attempt = $state(0);
  #error = $state<string | null>(null);
  #authFailed = $state(false);
  readonly clock = new ServerClock();

  readonly #session: Session;
  #socket: LiveSocket | null = null;
  #offRenew: (() => void) | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(session: Session) {
    this.#session = session;
  }

  /** Keyed by sessionId: one entry per open tab. */
  get entries(): ReadonlyMap<string, PresenceEntry> {
    return this.#live.entries;
  }
  /** False until the first snapshot, so "nobody online" is not shown before we know. */
  get loaded(): boolean {
    return this.#live.loaded;
  }
  get feed(): readonly FeedItem[] {
    return this.#feed;
  }
  get connection(): ConnectionState {
    return this.#connection;
  }
  /** Reconnection attempt number while reconnecting. */
  get attempt(): number {
    return this.#attempt;
  }
  get error(): string | null {
    return this.#error;
  }
  /** The error is about our credentials, so signing in again (not retrying) is the fix. */
  get authFailed(): boolean {
    return this.#authFailed;
  }

  connect(): void {
    this.disconnect();
    this.#connection = 'connecting';
    const socket: LiveSocket = io(location.origin + NAMESPACES.live, {
      // A function, so every reconnect presents the newest token rather than the first one.
      auth: (cb) => cb({ token: this.#session.token ?? '' }),
      transports: ['websocket', 'polling'],
      // A fresh manager per connect(): a cached one would keep listeners from an old socket.
      forceNew: true,
    });
    this.#socket = socket;
    let connectedBefore = false;

    socket.on('connect', () => {
      this.#connection = 'connected';
      this.#attempt = 0;
      this.#error = null;
      this.#authFailed = false;
      this.#dispatch({ kind: 'connected' });
      // The hub does not replay missed events, so after a reconnect our map is stale.
      if (connectedBefore) this.#sync(socket);
      connectedBefore = true;
    });
    socket.on('snapshot', (snapshot) => this.#applySnapshot(snapshot));
    socket.on('upsert', (entry) => this.#dispatch({ kind: 'upsert', entry }));
    socket.on('upserts', (entries) => this.#dispatch({ kind: 'upserts', entries }));
    socket.on('remove', (removal) => this.#dispatch({ kind: 'remove', removal }));
    socket.on('feed', (item) => (this.#feed = addToFeed(this.#feed, item, LIMITS.feedSize)));
    socket.on('bye', (bye) => this.#onBye(socket, bye));
    socket.on('connect_error', (err) => {
      // While `active`, socket.io retries by itself (network trouble). Otherwise the hub's
      // middleware refused us, and the same credentials would be refused again.
      if (socket.active) {
        this.#error = err.message;
        return;
      }
      const data = (err as Error & { data?: { code?: string; message?: string } }).data;
      this.#fail(data?.message ?? err.message, isAuthFailed(data?.code));
    });
    socket.on('disconnect', (reason) => {
      if (socket.active) this.#connection = 'reconnecting';
      // A goodbye already set 'reconnecting' or 'error'; a bare server disconnect did not.
      else if (reason === 'io server disconnect' && this.#connection === 'connected') {
        this.#fail('The hub closed the live connection.', false);
      }
    });
    socket.io.on('reconnect_attempt', (attempt) => {
      this.#attempt = attempt;
      this.#connection = 'reconnecting';
    });
    this.#offRenew = this.#session.onRenewed((token) => this.#reauth(socket, token));
  }

  disconnect(): void {
    clearTimeout(this.#reconnectTimer);
    this.#offRenew?.();
    this.#offRenew = null;
    if (this.#socket) {
      this.#socket.removeAllListeners();
      this.#socket.disconnect();
      this.#socket = null;
    }
    this.#live = INITIAL_LIVE_STATE;
    this.#feed = [];
    this.#connection = 'idle';
    this.#attempt = 0;
    this.#error = null;
    this.#authFailed = false;
  }

  #dispatch(event: LiveEvent): void {
    this.#live = liveReducer(this.#live, event);
  }

  #applySnapshot(snapshot: PresenceSnapshot): void {
    this.clock.sync(snapshot.serverTime);
    this.#dispatch({ kind: 'snapshot', snapshot });
  }

  #sync(socket: LiveSocket): void {
    this.#dispatch({ kind: 'sync-requested' });
    socket.timeout(ACK_TIMEOUT_MS).emit('sync', (err, res) => {
      if (!err && res.ok) return this.#applySnapshot(res.data);
      this.#dispatch({ kind: 'sync-failed' });
      if (err) return; // Timed out: the hub's own snapshot on connect still arrives.
      if (!res.ok) this.#error = res.error.message;
    });
  }

  /** Hands a renewed token to the open socket, so it stays authorized without reconnecting. */
  #reauth(socket: LiveSocket, token: string): void {
    if (!socket.connected) return; // The auth callback supplies it on the next (re)connect.
    socket.timeout(ACK_TIMEOUT_MS).emit('auth', token, (err, res) => {
      if (!err && !res.ok) this.#error = res.error.message;
    });
  }

  #onBye(socket: LiveSocket, bye: Goodbye): void {
    // The hub disconnects right after a goodbye, and socket.io never retries a server-side
    // disconnect, so a "please reconnect" goodbye (shutdown, rebalancing) is ours to honour.
    // An expired token is worth one retry if the session has renewed it meanwhile.
    const renewed = bye.code === 'token_expired' && this.#session.expiresAt > Date.now();
    if (bye.reconnect || renewed) {
      this.#connection = 'reconnecting';
      const jitter = 500 + Math.random() * 2_000;
      this.#reconnectTimer = setTimeout(() => socket.connect(), jitter);
      return;
    }
    this.#fail(bye.message, isAuthFailed(bye.code));
  }

  #fail(message: string, authFailed: boolean): void {
    this.#connection = 'error';
    this.#error = message;
    this.#authFailed = authFailed;
  }
}
