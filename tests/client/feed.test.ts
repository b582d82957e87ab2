import { describe, expect, it } from 'vitest';
import type { FeedItem } from '@activity-hub/protocol';
import { addToFeed } from '../../client/src/lib/feed.ts';

const item = (id: string, at: number): FeedItem => ({
  id,
  at,
  kind: 'pageview',
  userId: 'u',
  name: 'U',
  locationId: null,
  path: '/',
  title: '',
});
const ids = (feed: readonly FeedItem[]) => feed.map((f) => f.id);

describe('addToFeed', () => {
  it('puts the newest event first, whatever the order of arrival', () => {
    let feed: FeedItem[] = [];
    for (const [id, at] of [
      ['a', 10],
      ['b', 30],
      ['late offline', 5],
      ['c', 20],
    ] as const)
      feed = addToFeed(feed, item(id, at), 10);
    expect(ids(feed)).toEqual(['b', 'c', 'a', 'late offline']);
  });

  it('puts the later arrival first among events of the same time', () => {
    const feed = addToFeed(addToFeed([item('first', 7)], item('second', 7), 10), item('third', 7), 10);
    expect(ids(feed)).toEqual(['third', 'second', 'first']);
  });

  it('keeps at most max items: the oldest go, and an event older than all of a full feed is not added', () => {
    let feed: FeedItem[] = [];
    for (let i = 0; i < 5; i++) feed = addToFeed(feed, item(`n${i}`, 100 + i), 3);
    expect(ids(feed)).toEqual(['n4', 'n3', 'n2']);
    const unchanged = addToFeed(feed, item('old', 1), 3);
    expect(ids(unchanged)).toEqual(['n4', 'n3', 'n2']);
    expect(ids(addToFeed(feed, item('mid', 102.5), 3))).toEqual(['n4', 'n3', 'mid']);
  });
});
