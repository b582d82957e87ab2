// The live feed's order: newest event first, by when it happened rather than when it arrived. A
// tab closed by the hub after its disconnect grace says "went offline" at its last sign of life,
// which can be well before page views that arrived earlier; so can a backlog a tracker sends
// after an outage. Among items of the same time, the later arrival goes first.
import type { FeedItem } from '@activity-hub/protocol';

/** `feed` (newest first) with `item` in its place, at most `max` items long. */
export function addToFeed(feed: readonly FeedItem[], item: FeedItem, max: number): FeedItem[] {
  let i = 0;
  while (i < feed.length && (feed[i] as FeedItem).at > item.at) i++;
  if (i >= max) return feed.length > max ? feed.slice(0, max) : (feed as FeedItem[]);
  const next = [...feed.slice(0, i), item, ...feed.slice(i)];
  return next.length > max ? next.slice(0, max) : next;
}
