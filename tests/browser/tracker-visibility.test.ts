/**
 * Scenario 1 of "Tracker → hub → MongoDB": engaged time follows visibility across an SPA route
 * change, and closing the tab ends the visit, in real Chromium against the real hub.
 */
import { describe, expect, it } from 'vitest';
import {
  duplicateIds,
  keepActive,
  measured,
  near,
  pageviews,
  setVisible,
  sleep,
  storedPageviews,
} from './tracker-harness.ts';
import { closeTab, endedPageviews, startVisit, useTrackerRig } from './tracker-rig.ts';

describe('tracker → hub: visibility and route changes', () => {
  const rig = useTrackerRig({
    HEARTBEAT_INTERVAL_MS: '5000',
    IDLE_TIMEOUT_MS: '5000',
    FLUSH_INTERVAL_MS: '100',
  });

  it('visible 6 s, hidden 4 s, visible 3 s, pushState, 5 s, close: two page views, ≈9 s and ≈5 s', async () => {
    const { hub } = rig;
    // Title 'Start' (the host page's default). The tracker script is synchronous in <head>: its
    // clock runs from the page's start, and the in-page timestamps below are the ground truth
    // of when things happened.
    const { ids, page, problems, t0 } = await startVisit(rig, 'vis');
    const stopInput = keepActive(page);
    await sleep(6_000 - (Date.now() - t0));
    const hiddenAt = await setVisible(page, false);
    await sleep(4_000);
    const shownAt = await setVisible(page, true);
    await sleep(3_000);
    const pushedAt = await page.evaluate(() => {
      history.pushState({}, '', '/app/contacts');
      document.title = 'Contacts';
      return Date.now();
    });
    await sleep(5_000);
    const closedAt = await closeTab(page, stopInput);
    const truth = [hiddenAt - t0 + (pushedAt - shownAt), closedAt - pushedAt];

    const [first, second] = await endedPageviews(hub, ids, 2);
    expect(first).toMatchObject({ path: '/app', title: 'Start', endReason: 'navigate' });
    expect(second).toMatchObject({
      path: '/app/contacts',
      title: 'Contacts',
      endReason: 'leave',
      referrer: first!.url,
    });
    measured('visibility', { engagedMs: [first!.engagedMs, second!.engagedMs], truthMs: truth });
    expect(near(first!.engagedMs, truth[0]!), `first page: engaged ${first!.engagedMs} ms, truth ${truth[0]}`).toBe(
      true,
    );
    expect(near(second!.engagedMs, truth[1]!), `second page: engaged ${second!.engagedMs} ms, truth ${truth[1]}`).toBe(
      true,
    );
    // The scripted timeline itself (≈9 s and ≈5 s), with room for a loaded machine's delays.
    expect(near(truth[0]!, 9_000, 1_000) && near(truth[1]!, 5_000, 1_000), `timeline ${truth}`).toBe(true);
    // The leave of the first page and the start of the second are one moment (on the hub's
    // clock, receive time minus the event's age: a few ms of jitter).
    expect(Math.abs(Date.parse(first!.endedAt!) - Date.parse(second!.startedAt))).toBeLessThan(500);

    // The hidden moment and pagehide went both by socket and by beacon: each id counted once.
    const docs = await storedPageviews(hub, ids.agencyId);
    expect(duplicateIds(docs).duplicates).toEqual([]);
    // Settled: nothing else arrives later.
    await sleep(500);
    expect((await pageviews(hub, ids)).map((p) => p.engagedMs)).toEqual([first!.engagedMs, second!.engagedMs]);
    expect(problems).toEqual([]);
  });
});
