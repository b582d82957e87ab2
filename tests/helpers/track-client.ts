import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { Ack, TrackClientToServerEvents, TrackEventInput, TrackServerToClientEvents, TrackerSettings } from '@activity-hub/protocol';

export type TrackSocket = Socket<TrackServerToClientEvents, TrackClientToServerEvents>;

/** A scripted tracker over a real socket.io connection, for node tests. */
export class FakeTracker {
  readonly tabId = randomUUID();
  private seq = 0;
  settings: TrackerSettings | null = null;

  private constructor(readonly socket: TrackSocket) {
    socket.on('settings', (s) => (this.settings = s));
  }

  static async connect(url: string, token: string, opts: { transports?: string[] } = {}): Promise<FakeTracker> {
    const socket: TrackSocket = io(`${url}/track`, { auth: { token }, transports: opts.transports ?? ['websocket'], reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    const t = new FakeTracker(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });
    return t;
  }

  pageview(path: string, extra: Partial<TrackEventInput> = {}): TrackEventInput {
    return { type: 'pageview', id: randomUUID(), seq: this.seq++, tabId: this.tabId, url: `https://app.example.com${path}`, path, title: `Title ${path}`, referrer: '', ...extra } as TrackEventInput;
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

  close(): void {
    this.socket.disconnect();
  }
}
