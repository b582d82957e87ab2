import type { FeedItem, PresenceEntry, PresenceRemoval } from '@activity-hub/protocol';
import { audienceOf } from '../domain/access.ts';
import type { LivePublisher } from '../domain/ports.ts';
import type { LiveNamespace } from './socket-types.ts';

/**
 * Publishes live activity to the rooms allowed to see it: the agency's room and the user's own.
 * One emit per event reaches both rooms, so each packet is encoded once, and with the Redis
 * adapter it reaches dashboards on every instance.
 */
export class RoomPublisher implements LivePublisher {
  constructor(private readonly live: LiveNamespace) {}

  upsert(entry: PresenceEntry): void {
    this.live.to(audienceOf(entry)).emit('upsert', entry);
  }

  remove(removal: PresenceRemoval & { agencyId: string }): void {
    const { agencyId, ...body } = removal;
    this.live.to(audienceOf({ agencyId, userId: body.userId })).emit('remove', body);
  }

  feed(item: FeedItem & { agencyId: string }): void {
    const { agencyId, ...body } = item;
    this.live.to(audienceOf({ agencyId, userId: body.userId })).emit('feed', body);
  }
}
