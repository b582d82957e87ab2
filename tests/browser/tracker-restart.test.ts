/**
 * Scenario 4 of "Tracker → hub → MongoDB": a hub restart in the middle of a visit loses
 * nothing and doubles nothing. The hub says goodbye, the tracker queues its heartbeats and
 * reconnects to the same port, and the page view goes on where it was.
 */
import { describe, expect, it } from 'vitest';
import { eventually, startHub } from '../helpers/hub.ts';
import {
  duplicateIds,
  keepActive,
  measured,
  near,
  sleep,
  storedPageviews,
  withoutNetworkErrors,
} from './tracker-harness.ts';
import { closeTab, endedPageviews, startVisit, useTrackerRig } from './tracker-rig.ts';

describe('tracker → hub: hub restart mid-visit', () => {
  const rig = useTrackerRig({
    HEARTBEAT_INTERVAL_MS: '5000',
    IDLE_TIMEOUT_MS: '5000',
    FLUSH_INTERVAL_MS: '100',
  });

  it('keeps one page view, continuous engaged time and no duplicate ids across a restart', async () => {
    let { hub } = rig;
    const { ids, page, problems, t0 } = await startVisit(rig, 'restart');
    const stopInput = keepActive(page);
    // One heartbeat stored before the restart.
    await eventually(async () => (await storedPageviews(hub, ids.agencyId))[0]?.seqs.length, 8_000, 100);
    await sleep(Math.max(0, 7_000 - (Date.now() - t0)));

    // Down for 4 s (the heartbeat due at 10 s is made meanwhile), then back on the same port
    // and database, as `restartHub` does.
    const down = Date.now();
    await hub.stop();
    await sleep(4_000);
    // Into the rig too, so that its afterAll stops the new instance.
    hub = rig.hub = await startHub({ ...hub.env, PORT: String(hub.port) });
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
    const seenBefore = mid[0]!.seqs.length;
    await eventually(async () => (await storedPageviews(hub, ids.agencyId))[0]!.seqs.length > seenBefore, 8_000, 100);
    await sleep(2_000);
    const closedAt = await closeTab(page, stopInput);

    const [pv] = await endedPageviews(hub, ids, 1);
    const truth = closedAt - t0;
    const docs = await storedPageviews(hub, ids.agencyId);
    measured('restart', { engagedMs: pv!.engagedMs, truthMs: truth, downMs, seqs: docs[0]!.seqs.length });
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
