/**
 * LiveActivity's throttle of plain progress, with the in-memory presence store and a recording
 * publisher: one update per tab per 0.8 heartbeat interval, counted per agency and tab.
 */
import { describe, expect, it } from 'vitest';
import type { FeedItem, PresenceEntry } from '@activity-hub/protocol';
import { LiveActivity } from '../../../server/src/domain/live-activity.ts';
import type { LivePublisher } from '../../../server/src/domain/ports.ts';
import type { PageviewRecord } from '../../../server/src/domain/tracking-types.ts';
import { presenceOf } from '../../../server/src/domain/live-deltas.ts';
import { MemoryPresenceStore } from '../../../server/src/storage/memory-presence.ts';

const INTERVAL = 15_000;

function recorder() {
  const progress: PresenceEntry[] = [];
  const publisher: LivePublisher = {
    upsert: () => {},
    progress: (e) => void progress.push({ ...e }),
    remove: () => {},
    feed: (_: FeedItem & { agencyId: string }) => {},
  };
  return { progress, publisher };
}

function rec(agencyId: string, sessionId: string, at: number): PageviewRecord {
  return {
    key: `${agencyId}:pv-${sessionId}`,
    id: `pv-${sessionId}`,
    sessionId,
    userId: `u-${agencyId}`,
    userName: 'U',
    agencyId,
    locationId: null,
    url: '',
    path: '/',
    title: '',
    referrer: '',
    startedAt: at,
    lastSeenAt: at,
    endedAt: null,
    engagedMs: 0,
    endReason: null,
  };
}

describe('LiveActivity progress throttle', () => {
  it("is per agency and tab: another agency's tab with the same id does not hold this one back", async () => {
    const now = 1_000_000;
    const { progress, publisher } = recorder();
    const live = new LiveActivity(new MemoryPresenceStore(60_000, () => now), publisher, INTERVAL, (e) => {
      throw e;
    });
    const mine = rec('agency-a', 'same-tab', now - INTERVAL);
    const theirs = rec('agency-b', 'same-tab', now - INTERVAL);
    for (const r of [mine, theirs]) await live.pageview(presenceOf(r, 'active', 'desktop'), true);

    const beat = (r: PageviewRecord, at: number, engagedMs: number) =>
      live.progress({
        agencyId: r.agencyId,
        sessionId: r.sessionId,
        pageviewId: r.id,
        engagedMs,
        state: 'active',
        at,
        rec: r,
        device: 'desktop',
      });
    await beat(theirs, now, 100); // a full interval after its page view: published
    await beat(mine, now + 1, 100); // the same tab id in another agency: published too
    expect(progress.map((e) => e.agencyId)).toEqual(['agency-b', 'agency-a']);

    await beat(mine, now + INTERVAL * 0.5, 200); // too soon for this tab: held back
    await beat(mine, now + INTERVAL * 0.8 + 1, 300);
    expect(progress.map((e) => `${e.agencyId}@${e.engagedMs}`)).toEqual([
      'agency-b@100',
      'agency-a@100',
      'agency-a@300',
    ]);
  });
});
