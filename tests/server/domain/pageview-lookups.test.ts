import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EngagedLedger } from '../../../server/src/domain/engaged-ledger.ts';
import type { Claims } from '../../../server/src/domain/identity.ts';
import type { StoredPageview } from '../../../server/src/domain/ports.ts';
import { TabRegistry } from '../../../server/src/domain/tab-registry.ts';
import { TrackingService, type TrackContext } from '../../../server/src/domain/tracking-service.ts';
import { ledgerHorizon } from '../../../server/src/domain/tracking-transitions.ts';
import type { LiveDelta } from '../../../server/src/domain/live-deltas.ts';

const claims: Claims = {
  sub: 'u1',
  agencyId: 'a1',
  locationId: 'l1',
  role: 'location',
  name: 'Una',
  email: 'una@example.com',
  scope: 'track',
  exp: Math.floor(Date.now() / 1000) + 3_600,
};
const ctx: TrackContext = { claims, userAgent: 'test', device: 'desktop', connection: null };

/** A service over fakes: storage that counts its lookups and stores nothing, a live side that records. */
function service() {
  const lookups: string[][] = [];
  const shown: { delta: LiveDelta }[] = [];
  const limits = { toleranceMs: 2_000, replayWindowMs: 600_000 };
  const s = new TrackingService({
    repo: {
      loadPageviews: async (keys: string[]) => {
        lookups.push(keys);
        return new Map<string, StoredPageview>();
      },
    },
    tabs: new TabRegistry(),
    accounting: { limits, ledger: new EngagedLedger(ledgerHorizon(limits)) },
    live: { apply: async (delta) => void shown.push({ delta }) },
    batcher: { submit: async () => {} },
    clock: Date.now,
  });
  return { s, lookups, shown };
}

const pageview = (tabId: string, seq: number, path: string) => ({
  type: 'pageview' as const,
  id: randomUUID(),
  seq,
  tabId,
  url: `https://app.example.com${path}`,
  path,
  title: path,
  referrer: '',
});

/** Page view lookups: shared by the page views of a burst, and never in the way of a new tab being shown. */
describe('page view lookups', () => {
  it("a tab's page views sent together share one lookup instead of waiting for each other's", async () => {
    const { s, lookups } = service();
    const tabId = randomUUID();
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.handle(ctx, pageview(tabId, i, `/p/${i}`))));
    // One query for all fifty (in the tab's queue, each would have waited for a window of its own).
    expect(lookups).toHaveLength(1);
    expect(lookups[0]).toHaveLength(50);
  });

  it("a new tab's first page view is looked up at once, not after the window", async () => {
    const { s, lookups, shown } = service();
    const handled = s.handle(ctx, pageview(randomUUID(), 0, '/first'));
    // On the next turn of the event loop, before any timer could fire: a window would still wait.
    await new Promise((r) => setImmediate(r));
    expect(lookups).toHaveLength(1);
    await handled;
    expect(shown.map((x) => x.delta.kind)).toEqual(['pageview']);
  });
});
