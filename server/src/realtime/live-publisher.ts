import { TIMING, type FeedItem, type PresenceEntry, type PresenceRemoval } from '@activity-hub/protocol';
import { audienceOf, audiencesOf } from '../domain/access.ts';
import type { LivePublisher } from '../domain/ports.ts';
import type { LiveNamespace } from './socket-types.ts';

/** How long heartbeat progress is gathered before it goes out as one `upserts` packet per room. */
export const PROGRESS_GATHER_MS = TIMING.liveProgressGatherMs;

/** Entries gathered over all agencies beyond which they are sent at once (bounds a packet). */
const MAX_GATHERED = 1_000;

export interface RoomPublisherOptions {
  /**
   * True when this process's adapter knows every room (no Redis adapter): rooms without a
   * socket here are then skipped instead of encoded for nobody.
   */
  localRooms: boolean;
  /** A failure to send gathered progress (it runs on a timer, outside any caller). */
  onError?: (err: unknown) => void;
}

/**
 * Publishes live activity to the rooms allowed to see it: the agency's room and the user's own.
 * One emit per event reaches both rooms, so each packet is encoded once, and with the Redis
 * adapter it reaches dashboards on every instance. Heartbeat progress is gathered per agency
 * (the newest entry per tab) and sent together. A tab's upsert or removal replaces what was
 * gathered for that tab, so a tab's progress never arrives after its next page or its removal
 * (other tabs' progress keeps gathering: one navigation a second per agency would otherwise
 * send a packet each time).
 */
export class RoomPublisher implements LivePublisher {
  /** Agency id → session id → the tab's newest progress. */
  private readonly gathered = new Map<string, Map<string, PresenceEntry>>();
  private count = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly live: LiveNamespace,
    private readonly opts: RoomPublisherOptions = { localRooms: false },
  ) {}

  upsert(entry: PresenceEntry): void {
    this.forget(entry.agencyId, entry.sessionId);
    this.live.to(audienceOf(entry)).emit('upsert', entry);
  }

  progress(entry: PresenceEntry): void {
    if (this.closed) return;
    let tabs = this.gathered.get(entry.agencyId);
    if (!tabs) this.gathered.set(entry.agencyId, (tabs = new Map()));
    if (!tabs.has(entry.sessionId)) this.count++;
    tabs.set(entry.sessionId, entry);
    if (this.count >= MAX_GATHERED) this.sendAll();
    else this.timer ??= setTimeout(() => this.sendAll(), PROGRESS_GATHER_MS).unref();
  }

  remove(removal: PresenceRemoval & { agencyId: string }): void {
    const { agencyId, ...body } = removal;
    this.forget(agencyId, body.sessionId);
    this.live.to(audienceOf({ agencyId, userId: body.userId })).emit('remove', body);
  }

  feed(item: FeedItem & { agencyId: string }): void {
    const { agencyId, ...body } = item;
    this.live.to(audienceOf({ agencyId, userId: body.userId })).emit('feed', body);
  }

  /** Drops what is gathered (at shutdown every dashboard is sent elsewhere anyway). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.gathered.clear();
    this.count = 0;
  }

  /** Drops a tab's gathered progress: what is sent next about it is newer. */
  private forget(agencyId: string, sessionId: string): void {
    const tabs = this.gathered.get(agencyId);
    if (tabs?.delete(sessionId)) this.count--;
  }

  private sendAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const agencies = [...this.gathered.values()];
    this.gathered.clear();
    this.count = 0;
    for (const tabs of agencies) {
      try {
        this.send(tabs.values());
      } catch (err) {
        this.opts.onError?.(err); // one agency's failure neither stops the others nor the hub
      }
    }
  }

  private send(entries: Iterable<PresenceEntry>): void {
    const rooms = this.live.adapter.rooms;
    for (const [room, list] of audiencesOf(entries)) {
      if (this.opts.localRooms && !rooms.has(room)) continue;
      this.live.to(room).emit('upserts', list);
    }
  }
}
