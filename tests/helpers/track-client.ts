import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  Goodbye,
  TrackClientToServerEvents,
  TrackEventInput,
  TrackServerToClientEvents,
  TrackerSettings,
} from '@activity-hub/protocol';

export type TrackSocket = Socket<TrackServerToClientEvents, TrackClientToServerEvents>;

/** A scripted tracker over a real socket.io connection, for node tests. */
export class FakeTracker {
  readonly tabId: string;
  private seq: number;
  settings: TrackerSettings | null = null;
  /** Every `bye` the hub sent this socket. */
  readonly byes: Goodbye[] = [];

  private constructor(
    readonly socket: TrackSocket,
    resume: { tabId?: string; seq?: number },
  ) {
    this.tabId = resume.tabId ?? randomUUID();
    this.seq = resume.seq ?? 0;
    socket.on('settings', (s) => (this.settings = s));
    socket.on('bye', (b) => this.byes.push(b));
  }

  /** `tabId`/`seq` continue an existing tab (see `moveTo`). */
  static async connect(
    url: string,
    token: string,
    opts: { transports?: string[]; tabId?: string; seq?: number; reconnection?: boolean } = {},
  ): Promise<FakeTracker> {
    const socket: TrackSocket = io(`${url}/track`, {
      auth: { token },
      transports: opts.transports ?? ['websocket'],
      reconnection: opts.reconnection ?? true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      forceNew: true,
    });
    const t = new FakeTracker(socket, opts);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });
    return t;
  }

  pageview(path: string, extra: Partial<TrackEventInput> = {}): TrackEventInput {
    return {
      type: 'pageview',
      id: randomUUID(),
      seq: this.seq++,
      tabId: this.tabId,
      url: `https://app.example.com${path}`,
      path,
      title: `Title ${path}`,
      referrer: '',
      ...extra,
    } as TrackEventInput;
  }

  heartbeat(pageviewId: string, engagedMs: number, state: 'active' | 'idle' | 'hidden' = 'active'): TrackEventInput {
    return { type: 'heartbeat', id: randomUUID(), seq: this.seq++, tabId: this.tabId, pageviewId, engagedMs, state };
  }

  leave(pageviewId: string, engagedMs: number, reason: 'navigate' | 'unload' = 'unload'): TrackEventInput {
    return { type: 'leave', id: randomUUID(), seq: this.seq++, tabId: this.tabId, pageviewId, engagedMs, reason };
  }

  /** Emits and waits for the ack. */
  send(event: unknown, timeoutMs = 5_000): Promise<Ack> {
    return this.socket.timeout(timeoutMs).emitWithAck('event', event as TrackEventInput) as Promise<Ack>;
  }

  /** The same tab continuing on another hub instance (its own died or restarted): same tabId, next seq. */
  async moveTo(url: string, token: string): Promise<FakeTracker> {
    this.socket.disconnect();
    return FakeTracker.connect(url, token, { tabId: this.tabId, seq: this.seq });
  }

  close(): void {
    this.socket.disconnect();
  }
}
