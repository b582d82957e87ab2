/**
 * Scenario 4 of "Tracker → hub → MongoDB": a hub restart in the middle of a visit loses
 * nothing and doubles nothing. The hub says goodbye, the tracker queues its heartbeats and
 * reconnects to the same port, and the page view goes on where it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { eventually, startHub, type TestHub } from '../helpers/hub.ts';
import {
  duplicateIds,
  hostPage,
  identities,
  keepActive,
  measured,
  near,
  openApp,
  pageStart,
  pageviews,
  requireBuiltTracker,
  sleep,
  startHostServer,
  storedPageviews,
  type HostServer,
  withoutNetworkErrors,
} from './tracker-harness.ts';

describe('tracker → hub: hub restart mid-visit', () => {
  let host: HostServer;
  let hub: TestHub;
  let browser: TestBrowser;

  beforeAll(async () => {
    requireBuiltTracker();
    host = await startHostServer();
    [hub, browser] = await Promise.all([
      startHub({
        TRACKER_ORIGINS: host.url,
        HEARTBEAT_INTERVAL_MS: '5000',
        IDLE_TIMEOUT_MS: '5000',
        FLUSH_INTERVAL_MS: '100',
      }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await host?.close();
  });

  it('keeps one page view, continuous engaged time and no duplicate ids across a restart', async () => {
    const ids = await identities(hub, 'restart');
    const { page, problems } = await openApp(browser, host, hostPage(hub.url, ids.userToken, { mark: true }));
    const t0 = await pageStart(page);
    const stopInput = keepActive(page);
    // One heartbeat stored before the restart.
    await eventually(async () => (await storedPageviews(hub, ids.agencyId))[0]?.eventIds.length, 8_000, 100);
    await sleep(Math.max(0, 7_000 - (Date.now() - t0)));

    // Down for 4 s (the heartbeat due at 10 s is made meanwhile), then back on the same port
    // and database, as `restartHub` does.
    const down = Date.now();
    await hub.stop();
    await sleep(4_000);
    hub = await startHub({ ...hub.env, PORT: String(hub.port) });
    const downMs = Date.now() - down;
    // The tracker is back on the new instance, on the same page view.
    await eventually(
      () => hub.hub.tracking.tabs.openPageviews > 0 || hub.hub.io.of('/track').sockets.size > 0,
      10_000,
      100,
    );
    const mid = await storedPageviews(hub, ids.agencyId);
    expect(mid).toHaveLength(1);
    expect(mid[0]!.endedAt).toBeNull();
    // The heartbeats queued while it was down arrive, then a few more seconds of visit.
    const seenBefore = mid[0]!.eventIds.length;
    await eventually(
      async () => (await storedPageviews(hub, ids.agencyId))[0]!.eventIds.length > seenBefore,
      8_000,
      100,
    );
    await sleep(2_000);
    await stopInput();
    const closedAt = Date.now();
    await page.close({ runBeforeUnload: true });

    const [pv] = await eventually(async () => {
      const items = await pageviews(hub, ids);
      return items.length === 1 && items[0]!.endedAt !== null ? items : undefined;
    }, 10_000);
    const truth = closedAt - t0;
    const docs = await storedPageviews(hub, ids.agencyId);
    measured('restart', { engagedMs: pv!.engagedMs, truthMs: truth, downMs, eventIds: docs[0]!.eventIds.length });
    expect(pv).toMatchObject({ path: '/app', endReason: 'leave' });
    expect(near(pv!.engagedMs, truth), `engaged ${pv!.engagedMs} ms, truth ${truth} (hub down ${downMs} ms)`).toBe(
      true,
    );
    expect(docs).toHaveLength(1);
    expect(duplicateIds(docs).duplicates).toEqual([]);
    // The browser's own lines about refused connections while the hub was down, nothing else.
    expect(problems.length).toBeGreaterThan(0);
    expect(withoutNetworkErrors(problems)).toEqual([]);
  });
});
