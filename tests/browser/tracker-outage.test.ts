/**
 * The hub is gone for far longer than ten retries (the backoff cap is made short with the
 * test-only `retryMaxMs`, the retry rule itself is the product's) while the user goes on
 * navigating. After recovery every page view made is stored exactly once, with its engaged time.
 */
import { describe, expect, it } from 'vitest';
import { eventually, startHub } from '../helpers/hub.ts';
import {
  duplicateIds,
  hostPage,
  identities,
  keepActive,
  measured,
  near,
  openApp,
  pageStart,
  sleep,
  storedPageviews,
  withoutNetworkErrors,
} from './tracker-harness.ts';
import { closeTab, endedPageviews, useTrackerRig } from './tracker-rig.ts';

const RETRY_MAX_MS = 400;
const DOWN_MS = 12_000;

describe('tracker → hub: a long outage while navigating', () => {
  const rig = useTrackerRig({ HEARTBEAT_INTERVAL_MS: '5000', IDLE_TIMEOUT_MS: '5000', FLUSH_INTERVAL_MS: '100' });

  it('stores every page view made during the outage exactly once, with its engaged time', async () => {
    let { hub } = rig;
    const ids = await identities(hub, 'outage');
    const html = hostPage(hub.url, ids.userToken, { mark: true, config: { retryMaxMs: RETRY_MAX_MS } });
    const { page, problems } = await openApp(rig.browser, rig.host, html);
    const t0 = await pageStart(page);
    const stopInput = keepActive(page);
    await eventually(async () => (await storedPageviews(hub, ids.agencyId)).length === 1, 8_000, 100);
    await sleep(1_000);

    await hub.stop();
    const down = Date.now();
    // A route change every 2 s while the hub is away: each a page view waiting in the outbox.
    const changes: { path: string; at: number }[] = [];
    for (let i = 1; Date.now() - down < DOWN_MS - 1_000; i++) {
      const path = `/app/p${i}`;
      changes.push({ path, at: await page.evaluate((p) => (history.pushState({}, '', p), Date.now()), path) });
      await sleep(2_000);
    }
    await sleep(Math.max(0, DOWN_MS - (Date.now() - down)));
    hub = rig.hub = await startHub({ ...hub.env, PORT: String(hub.port) });
    const downMs = Date.now() - down;
    // Ten retries at the cap take at most 10 × RETRY_MAX_MS: the outage lasted far longer.
    expect(downMs).toBeGreaterThan(10 * RETRY_MAX_MS * 2);

    await eventually(async () => (await storedPageviews(hub, ids.agencyId)).length === changes.length + 1, 10_000, 100);
    await sleep(2_000);
    const closedAt = await closeTab(page, stopInput);

    const pvs = await endedPageviews(hub, ids, changes.length + 1);
    expect(pvs.map((p) => p.path)).toEqual(['/app', ...changes.map((c) => c.path)]);
    expect(pvs.map((p) => p.endReason)).toEqual([...changes.map(() => 'navigate'), 'leave']);
    const docs = await storedPageviews(hub, ids.agencyId);
    expect(docs).toHaveLength(changes.length + 1);
    expect(duplicateIds(docs).duplicates).toEqual([]);

    // Engaged the whole time: each page view from its route change to the next, the last to the close.
    const starts = [t0, ...changes.map((c) => c.at)];
    const truth = starts.map((s, i) => (starts[i + 1] ?? closedAt) - s);
    const engaged = pvs.map((p) => p.engagedMs);
    measured('outage', { engagedMs: engaged, truthMs: truth, downMs });
    expect(
      near(
        engaged.reduce((a, b) => a + b, 0),
        closedAt - t0,
        1_500,
      ),
      `engaged ${engaged}, truth ${truth}`,
    ).toBe(true);
    engaged.forEach((ms, i) =>
      expect(near(ms, truth[i]!), `page ${i}: engaged ${ms} ms, truth ${truth[i]}`).toBe(true),
    );
    expect(withoutNetworkErrors(problems)).toEqual([]);
  });
});
