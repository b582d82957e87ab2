/**
 * Scenario 6 of "Tracker → hub → MongoDB": a tab killed without pagehide (renderer crash) has
 * its page view closed by the sweeper at the last evidence, exactly once. The disconnect grace
 * is an hour, so the sweeper (not the disconnect timer) must be the one to close it.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/hub.ts';
import {
  hostPage,
  identities,
  keepActive,
  measured,
  openApp,
  presence,
  sleep,
  storedPageviews,
} from './tracker-harness.ts';
import { useTrackerRig } from './tracker-rig.ts';

const STALE_MS = 10_000;
const HEARTBEAT_MS = 5_000;

describe('tracker → hub: crashed tab', () => {
  const rig = useTrackerRig({
    HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
    IDLE_TIMEOUT_MS: '5000',
    FLUSH_INTERVAL_MS: '100',
    DISCONNECT_GRACE_MS: '3600000',
    STALE_AFTER_MS: String(STALE_MS),
    SWEEP_INTERVAL_MS: '1000',
  });

  it('the sweeper closes the page view at its last evidence, once', async () => {
    const { host, hub, browser } = rig;
    const ids = await identities(hub, 'crash');
    // Count what every sweep closes (the timer calls the method on the instance).
    const maintenance = hub.hub.maintenance;
    const sweep = maintenance.sweep.bind(maintenance);
    let sweptClosed = 0;
    maintenance.sweep = async () => {
      const n = await sweep();
      sweptClosed += n;
      return n;
    };

    const { page } = await openApp(browser, host, hostPage(hub.url, ids.userToken));
    const stopInput = keepActive(page);
    // A heartbeat stored, and the hub marking the connected tab alive past its last evidence.
    await eventually(
      async () => {
        const [d] = await storedPageviews(hub, ids.agencyId);
        return d && d.seqs.length > 0 && d.aliveAt > d.lastSeenAt;
      },
      HEARTBEAT_MS + 8_000,
      100,
    );
    await stopInput();

    const cdp = await page.context().newCDPSession(page);
    const crashedAt = Date.now();
    // The command never answers: the renderer is gone. Playwright reports the crash.
    const crashed = page.waitForEvent('crash', { timeout: 5_000 });
    void cdp.send('Page.crash').catch(() => {});
    await crashed;
    // The socket goes with the renderer.
    await eventually(() => hub.hub.io.of('/track').sockets.size === 0, 5_000, 50);

    const closed = await eventually(
      async () => {
        const [d] = await storedPageviews(hub, ids.agencyId);
        return d?.endedAt ? d : undefined;
      },
      STALE_MS + 8_000,
      200,
    );
    const sweptAfterMs = Date.now() - crashedAt;
    expect(closed.endReason).toBe('timeout');
    // Closed at the last evidence: the last heartbeat before the crash, not the alive marks.
    expect(closed.endedAt!.getTime()).toBe(closed.lastSeenAt.getTime());
    expect(closed.lastSeenAt.getTime()).toBeLessThanOrEqual(crashedAt);
    expect(closed.lastSeenAt.getTime()).toBeGreaterThan(crashedAt - HEARTBEAT_MS - 2_000);
    // Not before it was stale.
    expect(sweptAfterMs).toBeGreaterThanOrEqual(STALE_MS - (crashedAt - closed.aliveAt.getTime()) - 500);
    const session = await hub.hub.db.models.sessions.findOne({
      _id: `${ids.agencyId}:${closed.userId}:${closed.sessionId}`,
    });
    expect(session?.endedAt?.getTime()).toBe(closed.endedAt!.getTime());
    // Gone from the live view.
    await eventually(async () => (await presence(hub, ids)).length === 0, 3_000, 100);

    // Exactly once: later sweeps leave it alone.
    await sleep(3_000);
    const [after] = await storedPageviews(hub, ids.agencyId);
    expect(after!.updatedAt.getTime()).toBe(closed.updatedAt.getTime());
    expect(after!.endedAt!.getTime()).toBe(closed.endedAt!.getTime());
    expect(sweptClosed).toBe(1);
    measured('crash', { sweptAfterMs, lastEvidenceBeforeCrashMs: crashedAt - closed.lastSeenAt.getTime() });
  });
});
