import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  FeedItem,
  LiveClientToServerEvents,
  LiveServerToClientEvents,
  PresenceEntry,
  PresenceRemoval,
  PresenceSnapshot,
} from '@activity-hub/protocol';
import { devToken, eventually } from '../../helpers/hub.ts';

type LiveSocket = Socket<LiveServerToClientEvents, LiveClientToServerEvents>;

/** Everything a dashboard socket received, in arrival order, with the local time of arrival. */
export type LiveMessage =
  | { kind: 'snapshot'; body: PresenceSnapshot; t: number }
  /** `packet`: the number of the `upserts` packet it came in (gathered progress), else absent. */
  | { kind: 'upsert'; body: PresenceEntry; t: number; packet?: number }
  | { kind: 'remove'; body: PresenceRemoval; t: number }
  | { kind: 'feed'; body: FeedItem; t: number };

/** A scripted dashboard on `/live` that records every message, for node tests. */
export class LiveClient {
  readonly messages: LiveMessage[] = [];

  private constructor(readonly socket: LiveSocket) {
    for (const kind of ['snapshot', 'upsert', 'remove', 'feed'] as const) {
      const record = (body: unknown): void => void this.messages.push({ kind, body, t: Date.now() } as LiveMessage);
      socket.on(kind, record as never);
    }
    // Gathered progress is recorded entry by entry, as the upserts it stands for.
    socket.on('upserts', (entries) => {
      const packet = ++this.upsertsPackets;
      for (const body of entries) this.messages.push({ kind: 'upsert', body, t: Date.now(), packet });
    });
  }

  /** `upserts` packets received so far. */
  upsertsPackets = 0;

  /** Connects and resolves once the first snapshot has arrived. */
  static async connect(url: string, token: string): Promise<LiveClient> {
    const socket: LiveSocket = io(`${url}/live`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const c = new LiveClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect_error', reject);
      socket.once('snapshot', () => resolve());
    });
    return c;
  }

  /** The first message, which must be the snapshot. */
  get snapshot(): PresenceSnapshot {
    const first = this.messages[0];
    if (first?.kind !== 'snapshot') throw new Error(`first message is ${first?.kind ?? 'nothing'}, not a snapshot`);
    return first.body;
  }

  of<K extends LiveMessage['kind']>(kind: K): Extract<LiveMessage, { kind: K }>[] {
    return this.messages.filter((m): m is Extract<LiveMessage, { kind: K }> => m.kind === kind);
  }

  upserts(sessionId?: string): PresenceEntry[] {
    return this.of('upsert')
      .map((m) => m.body)
      .filter((e) => !sessionId || e.sessionId === sessionId);
  }

  /** The upserts received after message number `index`. */
  upsertsAfter(index: number): PresenceEntry[] {
    return this.messages.slice(index + 1).flatMap((m) => (m.kind === 'upsert' ? [m.body] : []));
  }

  feed(kind?: FeedItem['kind']): FeedItem[] {
    return this.of('feed')
      .map((m) => m.body)
      .filter((f) => !kind || f.kind === kind);
  }

  /** Waits for a message matching `pred` and returns it. */
  waitFor<K extends LiveMessage['kind']>(
    kind: K,
    pred: (body: Extract<LiveMessage, { kind: K }>['body']) => boolean,
    timeoutMs = 3_000,
  ) {
    return eventually(() => this.of(kind).find((m) => pred(m.body as never)), timeoutMs);
  }

  /** A fresh snapshot through the `sync` ack. */
  async sync(): Promise<PresenceSnapshot> {
    const res = (await this.socket.timeout(5_000).emitWithAck('sync')) as Ack<PresenceSnapshot>;
    if (!res.ok) throw new Error(`sync failed: ${res.error.code}`);
    return res.data;
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** A unique agency id: the Redis server (and so presence) is shared by the whole run. */
export const uniqueAgency = (name = 'ag'): string => `${name}-${randomUUID().slice(0, 8)}`;

/** The cast of one agency: an agency user and two location users in two locations. */
export async function agencyCast(url: string, agencyId: string) {
  const boss = { userId: 'boss', name: 'Boss Person', role: 'agency' as const, agencyId };
  const ada = { userId: 'u-ada', name: 'Ada Lovelace', role: 'location' as const, agencyId, locationId: 'loc-north' };
  const bob = { userId: 'u-bob', name: 'Bob Builder', role: 'location' as const, agencyId, locationId: 'loc-south' };
  const cat = { userId: 'u-cat', name: 'Cat Colleague', role: 'location' as const, agencyId, locationId: 'loc-north' };
  const [bossToken, adaToken, bobToken, catToken] = await Promise.all(
    [boss, ada, bob, cat].map((u) => devToken(url, u)),
  );
  return { boss, ada, bob, cat, bossToken: bossToken!, adaToken: adaToken!, bobToken: bobToken!, catToken: catToken! };
}
