/**
 * Blind spot "duplicated tabs": a duplicated tab starts with a copy of the original's
 * sessionStorage, tab id and event counter included. The copy must become a tab of its own:
 * otherwise its first page view would end the original's (one tab, a newer page view).
 *
 * As in a real browser, the copy opens in front and the original is hidden until the copy
 * closes: one person is not engaged in two tabs at once, and the hub credits a user at most
 * the wall time that passed (engaged-ledger.ts), so two tabs engaged together would lose time
 * whenever the run began just after a quarter hour.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/hub.ts';
import {
  duplicateIds,
  keepActive,
  measured,
  near,
  pageStart,
  setVisible,
  sleep,
  storedPageviews,
} from './tracker-harness.ts';
import { closeTab, endedPageviews, startVisit, useTrackerRig } from './tracker-rig.ts';

describe('tracker → hub: a duplicated tab', () => {
  const rig = useTrackerRig({ HEARTBEAT_INTERVAL_MS: '5000', IDLE_TIMEOUT_MS: '5000', FLUSH_INTERVAL_MS: '100' });

  it('gets its own tab id: two sessions, each with its own engaged time', async () => {
    const { ids, page: a, problems, t0 } = await startVisit(rig, 'dup');
    const stopA = keepActive(a);
    await eventually(async () => (await storedPageviews(rig.hub, ids.agencyId)).length === 1, 8_000, 100);
    await sleep(1_500);

    // Chromium's "Duplicate" copies sessionStorage into the new tab before its scripts run:
    // the same here, with the original still open (in the background).
    const copied = await a.evaluate(() => JSON.stringify(Object.entries(sessionStorage)));
    expect(copied).toContain('activityHub:tab');
    const hiddenAt = await setVisible(a, false);
    const b = await rig.browser.newPage();
    b.on('console', (m) => problems.push(`copy ${m.type()}: ${m.text()}`));
    await b.addInitScript((entries: string) => {
      for (const [k, v] of JSON.parse(entries) as [string, string][]) sessionStorage.setItem(k, v);
    }, copied);
    await b.goto(rig.host.url + '/app');
    const t0b = await pageStart(b);
    const stopB = keepActive(b);
    const tabIds = await Promise.all([a, b].map((p) => p.evaluate(() => sessionStorage.getItem('activityHub:tab'))));
    expect(tabIds[0]).not.toBe(tabIds[1]);

    await sleep(5_000);
    const closedB = await closeTab(b, stopB);
    const shownAt = await setVisible(a, true);
    await sleep(2_000);
    const closedA = await closeTab(a, stopA);

    const [first, second] = await endedPageviews(rig.hub, ids, 2);
    const truth = [hiddenAt - t0 + (closedA - shownAt), closedB - t0b];
    measured('duplicate-tab', { engagedMs: [first!.engagedMs, second!.engagedMs], truthMs: truth });
    expect(first!.sessionId).toBe(tabIds[0]);
    expect(second!.sessionId).toBe(tabIds[1]);
    // Both end with their own leave: the copy's page view did not end the original's.
    expect([first!.endReason, second!.endReason]).toEqual(['leave', 'leave']);
    expect(near(first!.engagedMs, truth[0]!), `original: engaged ${first!.engagedMs} ms, truth ${truth[0]}`).toBe(true);
    expect(near(second!.engagedMs, truth[1]!), `copy: engaged ${second!.engagedMs} ms, truth ${truth[1]}`).toBe(true);
    const docs = await storedPageviews(rig.hub, ids.agencyId);
    expect(docs).toHaveLength(2);
    expect(duplicateIds(docs).duplicates).toEqual([]);
    expect(problems).toEqual([]);
  });
});
