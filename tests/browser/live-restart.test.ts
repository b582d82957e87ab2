/**
 * The dashboard survives the hub restarting (same port and database, in-memory presence): it
 * shows that it is reconnecting, then connected, and its snapshot is right again: tabs that
 * continued are back (with a page changed during the outage), a tab closed meanwhile is not.
 */
import type { DevLogin } from '@activity-hub/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { restartHub, startHub, type TestHub } from '../helpers/hub.ts';
import {
  devLogin,
  navigate,
  openDashboard,
  openTracker,
  rowOf,
  serveTrackedPages,
  shownUsers,
  watchPage,
} from './live-helpers.ts';

const boss: DevLogin = { userId: 'r-boss', name: 'Rita Boss', role: 'agency', agencyId: 'restart', locationId: null };
const ann: DevLogin = { userId: 'r-ann', name: 'Ann Stays', role: 'location', agencyId: 'restart', locationId: 'r-1' };
const ben: DevLogin = { userId: 'r-ben', name: 'Ben Moves', role: 'location', agencyId: 'restart', locationId: 'r-2' };
const cid: DevLogin = { userId: 'r-cid', name: 'Cid Leaves', role: 'location', agencyId: 'restart', locationId: 'r-2' };

let hub: TestHub;
let browser: TestBrowser;

beforeAll(async () => {
  // A short heartbeat, so continuing tabs report (and reappear) soon after the restart.
  hub = await startHub({ HEARTBEAT_INTERVAL_MS: '5000', DISCONNECT_GRACE_MS: '1000' });
  browser = await launchBrowser();
  await serveTrackedPages(browser.context, hub.url);
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('live view across a hub restart', () => {
  it('shows reconnecting, then connected, with a correct snapshot again', async () => {
    const [annPage, benPage] = await Promise.all([
      openTracker(browser.context, hub.url, (await devLogin(hub.url, ann)).token, '/t/ann-page'),
      openTracker(browser.context, hub.url, (await devLogin(hub.url, ben)).token, '/t/ben-before'),
    ]);
    const dashboard = await openDashboard(browser.context, hub.url, boss);
    const seen = watchPage(dashboard);
    await expect.poll(() => shownUsers(dashboard)).toEqual([ann.userId, ben.userId]);
    await dashboard.evaluate(() => {
      // Every connection state the status badge shows, in order.
      const el = document.querySelector('[data-testid="connection-status"]')!;
      const states: string[] = [el.getAttribute('data-state')!];
      (window as unknown as { states: string[] }).states = states;
      new MutationObserver(() => states.push(el.getAttribute('data-state')!)).observe(el, {
        attributes: true,
        attributeFilter: ['data-state'],
      });
    });

    // A rolling restart of the one instance (what restartHub does), with things happening
    // while the hub is down: Ben navigates, and Cid's tab is closed by the time it is back.
    const cidPage = await openTracker(browser.context, hub.url, (await devLogin(hub.url, cid)).token, '/t/cid-page');
    await rowOf(dashboard, cid.userId).waitFor();
    await hub.stop();
    await dashboard.locator('[data-testid="connection-status"][data-state="reconnecting"]').waitFor({ timeout: 5_000 });
    expect(await dashboard.getByTestId('connection-status').textContent()).toMatch(/Reconnecting/);
    await navigate(benPage, '/t/ben-after', 'Ben after');
    await cidPage.close();
    // Already stopped above, so that the outage can be acted in; restartHub starts it again.
    hub = await restartHub({ ...hub, stop: async () => {} });

    await dashboard.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 15_000 });
    const states = await dashboard.evaluate(() => (window as unknown as { states: string[] }).states);
    expect(states[0]).toBe('connected');
    expect(states.indexOf('reconnecting')).toBeGreaterThan(0);
    expect(states.at(-1)).toBe('connected');

    // Cid never came back; Ann and Ben are back once their trackers report, Ben on his new page.
    await rowOf(dashboard, ben.userId)
      .getByTestId('presence-path')
      .filter({ hasText: '/t/ben-after' })
      .waitFor({ timeout: 15_000 });
    await rowOf(dashboard, ann.userId)
      .getByTestId('presence-path')
      .filter({ hasText: '/t/ann-page' })
      .waitFor({ timeout: 15_000 });
    expect(await shownUsers(dashboard)).toEqual([ann.userId, ben.userId]);
    expect(await dashboard.getByTestId('count-online').textContent()).toBe('2');

    // The dashboard agrees with what a fresh dashboard (a fresh snapshot) shows.
    const fresh = await openDashboard(browser.context, hub.url, boss);
    await expect.poll(() => shownUsers(fresh)).toEqual([ann.userId, ben.userId]);
    const paths = async (p: typeof fresh) => (await p.getByTestId('presence-path').allTextContents()).sort();
    expect(await paths(dashboard)).toEqual(await paths(fresh));
    expect(await paths(dashboard)).toEqual(['/t/ann-page', '/t/ben-after']);

    // And it is live again: a navigation after the restart shows up at once.
    await navigate(annPage, '/t/ann-after');
    await rowOf(dashboard, ann.userId)
      .getByTestId('presence-path')
      .filter({ hasText: '/t/ann-after' })
      .waitFor({ timeout: 2_000 });
    expect(seen.errors).toEqual([]);
  });
});
