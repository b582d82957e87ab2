/**
 * The dashboard's live view for an agency user, against a real hub and real trackers in the
 * same Chromium: who is online on which page within a second, navigation, leaving, the ticking
 * time on page, escaping of user-provided text, keyboard-reachable filters, and screenshots.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../server/src/identity/demo-users.ts';
import { artifactPath, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startHub, type TestHub } from '../helpers/hub.ts';
import {
  devLogin,
  expectConnected,
  navigate,
  openDashboard,
  openTracker,
  parseDuration,
  pathShownAt,
  recordPathTimes,
  rowOf,
  serveTrackedPages,
  shownUsers,
  warmUp,
  watchPage,
} from './live-helpers.ts';

const demo = (userId: string) => DEMO_USERS.find((u) => u.userId === userId)!;
const olivia = demo('u-acme-olivia');
const liam = demo('u-acme-liam');
const noah = demo('u-acme-noah');
/** A bound for one timed sample in this scenario: twice the p99, far under a 15 s heartbeat. */
const SCENARIO_MS = 2_000;

let hub: TestHub;
let browser: TestBrowser;
let dashboard: Page;
let seen: ReturnType<typeof watchPage>;
/** Tracker pages a test opened; closed after it, so a failure does not leak tabs into the next test. */
const trackerPages: Page[] = [];

beforeAll(async () => {
  hub = await startHub({ DISCONNECT_GRACE_MS: '1000' });
  browser = await launchBrowser();
  await serveTrackedPages(browser.context, hub.url);
  await warmUp(browser.context, hub.url);
});
afterEach(async () => {
  for (const p of trackerPages.splice(0)) await p.close();
  await dashboard?.getByTestId('live-empty').waitFor({ timeout: 10_000 });
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('live view: agency user', () => {
  it('signs in with the dev-login picker and shows an empty, connected live view', async () => {
    dashboard = await browser.newPage();
    seen = watchPage(dashboard);
    await dashboard.goto(`${hub.url}/`);
    await dashboard.getByTestId(`dev-login-${olivia.userId}`).click();
    await expectConnected(dashboard);
    await expect.poll(() => dashboard.getByRole('tab', { name: 'Live' }).getAttribute('aria-selected')).toBe('true');
    await dashboard.getByTestId('live-empty').waitFor();
    expect(await dashboard.getByTestId('count-online').textContent()).toBe('0');
  });

  it('shows two users in two locations within 1 s, follows a navigation and a close; time on page ticks', async () => {
    const [liamToken, noahToken] = await Promise.all([devLogin(hub.url, liam), devLogin(hub.url, noah)]);
    await recordPathTimes(dashboard);
    const [liamPage, noahPage] = await Promise.all([
      openTracker(browser.context, hub.url, liamToken.token, '/t/contacts'),
      openTracker(browser.context, hub.url, noahToken.token, '/t/calendar'),
    ]);
    trackerPages.push(liamPage, noahPage);
    // From each tracker page starting (then loading the tracker, connecting, sending the page
    // view) to its path in the dashboard's DOM, on the browser's own clock. The bound,
    // 1 s at p99, is live-latency.test.ts's to check over 40 samples; one sample here is a
    // scenario, so it gets room for a CI machine running two browser files at once (alone it
    // takes 130-160 ms; one CI run saw 1,033 ms) and still fails if a page view waited for a
    // heartbeat.
    for (const [page, path] of [
      [liamPage, '/t/contacts'],
      [noahPage, '/t/calendar'],
    ] as const) {
      const started = await page.evaluate(() => (window as unknown as { pageStart: number }).pageStart);
      const ms = (await pathShownAt(dashboard, path)) - started;
      // eslint-disable-next-line no-console -- the figures show how near the bound a run came
      console.log(`[live agency] ${path} shown ${Math.round(ms)} ms after its page started`);
      expect(ms, `${path} shown ${Math.round(ms)} ms after its page started`).toBeLessThan(SCENARIO_MS);
    }
    expect(await shownUsers(dashboard)).toEqual([liam.userId, noah.userId].sort());
    expect(await dashboard.getByTestId('count-online').textContent()).toBe('2');
    expect(await dashboard.getByTestId('count-active').textContent()).toBe('2');
    // The row shows the page title, the state, the device and (with two locations) the user's card.
    const liamRow = rowOf(dashboard, liam.userId);
    expect(await liamRow.locator('.title').textContent()).toBe('Page contacts');
    expect(await liamRow.getByTestId('presence-state').textContent()).toContain('Active');
    expect(await liamRow.textContent()).toContain('Desktop');
    const liamCard = dashboard.locator('li.group', { has: liamRow });
    expect(await liamCard.textContent()).toContain('Liam Chen');
    expect(await liamCard.textContent()).toContain('acme-north');
    expect(await dashboard.locator('li.group', { has: rowOf(dashboard, noah.userId) }).textContent()).toContain(
      'acme-south',
    );
    await dashboard.locator('[data-testid="feed-item"][data-kind="online"]', { hasText: 'Noah Williams' }).waitFor();

    // The time on page ticks by itself between heartbeats.
    const time = rowOf(dashboard, liam.userId).getByTestId('presence-time');
    const first = parseDuration((await time.textContent()) ?? '');
    await expect
      .poll(async () => parseDuration((await time.textContent()) ?? ''), { timeout: 4_000 })
      .toBeGreaterThanOrEqual(first + 2);

    // An SPA navigation moves Liam's row to the new page (the same bound as above).
    const pushed = await navigate(liamPage, '/t/opportunities', 'Opportunities');
    const navMs = (await pathShownAt(dashboard, '/t/opportunities')) - pushed;
    // eslint-disable-next-line no-console -- the figures show how near the bound a run came
    console.log(`[live agency] navigation shown ${Math.round(navMs)} ms after the pushState`);
    expect(navMs, `navigation shown after ${Math.round(navMs)} ms`).toBeLessThan(SCENARIO_MS);
    await rowOf(dashboard, liam.userId).getByTestId('presence-path').filter({ hasText: '/t/opportunities' }).waitFor();
    expect(await rowOf(dashboard, liam.userId).locator('.title').textContent()).toBe('Opportunities');
    await dashboard.locator('[data-testid="feed-item"][data-kind="pageview"]', { hasText: 'Opportunities' }).waitFor();
    expect(await rowOf(dashboard, liam.userId).count()).toBe(1);

    // Noah closes his tab: he leaves the online list (unload beacon, or the disconnect grace at worst).
    await noahPage.close();
    await rowOf(dashboard, noah.userId).waitFor({ state: 'detached', timeout: 5_000 });
    expect(await shownUsers(dashboard)).toEqual([liam.userId]);
    expect(await dashboard.getByTestId('count-online').textContent()).toBe('1');
    await dashboard.locator('[data-testid="feed-item"][data-kind="offline"]', { hasText: 'Noah Williams' }).waitFor();
    await liamPage.close();
    await rowOf(dashboard, liam.userId).waitFor({ state: 'detached', timeout: 5_000 });
  });

  it('shows user-provided text as text: no markup, no script, no dialog', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const eve = {
      userId: 'u-acme-eve',
      name: '<b onmouseover=alert(2)>Eve</b><script>alert(3)</script>',
      role: 'location' as const,
      agencyId: 'acme',
      locationId: 'acme-north',
    };
    const tracker = await openTracker(
      browser.context,
      hub.url,
      (await devLogin(hub.url, eve)).token,
      `/t/evil?title=${encodeURIComponent(evil)}`,
    );
    trackerPages.push(tracker);
    const trackerSeen = watchPage(tracker);
    const row = rowOf(dashboard, eve.userId);
    await row.waitFor();
    expect(await row.locator('.title').textContent()).toBe(evil);
    expect(await dashboard.locator('li.group', { has: row }).locator('.name').textContent()).toBe(eve.name);
    const feed = dashboard.locator('[data-testid="feed-item"][data-kind="online"]', { hasText: 'Eve' });
    expect(await feed.first().textContent()).toContain(evil);
    await dashboard.getByTestId('live-search').fill('Eve');
    await dashboard.getByTestId('live-search').fill('');
    await row.hover();
    // Nothing the user typed became an element anywhere in the live view.
    expect(await dashboard.locator('main img, main b, main script').count()).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.dialogs).toEqual([]);
    expect(trackerSeen.dialogs).toEqual([]);
    expect(seen.errors).toEqual([]);
    await tracker.close();
    await row.waitFor({ state: 'detached', timeout: 5_000 });
  });

  it('reaches and operates the live filters with the keyboard', async () => {
    const [liamToken, noahToken] = await Promise.all([devLogin(hub.url, liam), devLogin(hub.url, noah)]);
    const trackers = await Promise.all([
      openTracker(browser.context, hub.url, liamToken.token, '/t/contacts'),
      openTracker(browser.context, hub.url, noahToken.token, '/t/settings'),
    ]);
    trackerPages.push(...trackers);
    await rowOf(dashboard, liam.userId).waitFor();
    await rowOf(dashboard, noah.userId).waitFor();
    await dashboard.bringToFront();

    // Tab from the top of the page reaches the three filters, in order.
    await dashboard.locator('body').click({ position: { x: 2, y: 2 } });
    const reached: string[] = [];
    for (let i = 0; i < 30 && !reached.includes('live-search'); i++) {
      await dashboard.keyboard.press('Tab');
      const id = await dashboard.evaluate(
        () => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? '',
      );
      if (id.startsWith('live-')) reached.push(id);
    }
    expect(reached).toEqual(['live-location', 'live-user', 'live-search']);
    // Each has an accessible name from its label.
    const names = await Promise.all([
      dashboard.getByRole('combobox', { name: 'Location', exact: true }).count(),
      dashboard.getByRole('combobox', { name: 'User', exact: true }).count(),
      dashboard.getByRole('searchbox', { name: 'Search', exact: true }).count(),
    ]);
    expect(names).toEqual([1, 1, 1]);

    // Typing in the search narrows the list; Shift+Tab walks back through the filters.
    await dashboard.keyboard.type('settings');
    await expect.poll(() => shownUsers(dashboard)).toEqual([noah.userId]);
    await dashboard.keyboard.press('Shift+Tab');
    await dashboard.keyboard.press('Shift+Tab');
    expect(await dashboard.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('live-location');
    await dashboard.getByTestId('live-search').fill('');
    await expect.poll(() => shownUsers(dashboard)).toEqual([liam.userId, noah.userId].sort());

    // The location picker works from the keyboard: focus it and pick the first location.
    await dashboard.getByTestId('live-location').focus();
    await dashboard.keyboard.press('ArrowDown');
    await expect.poll(() => dashboard.getByTestId('live-location').inputValue()).toBe('acme-north');
    await expect.poll(() => shownUsers(dashboard)).toEqual([liam.userId]);
    // The "Clear" button appears and is reachable too.
    const clear = dashboard.getByRole('button', { name: 'Clear' });
    await clear.focus();
    await dashboard.keyboard.press('Enter');
    await expect.poll(() => shownUsers(dashboard)).toEqual([liam.userId, noah.userId].sort());
    expect(await dashboard.getByTestId('live-location').inputValue()).toBe('');

    // Screenshots while two people are online.
    await dashboard.mouse.move(0, 0);
    await dashboard.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await dashboard.screenshot({ path: artifactPath('live-agency.png'), fullPage: true });
    await dashboard.emulateMedia({ colorScheme: 'dark' });
    await dashboard.screenshot({ path: artifactPath('live-agency-dark.png'), fullPage: true });
    await dashboard.emulateMedia({ colorScheme: 'light' });
    const narrow = await openDashboard(browser.context, hub.url, olivia, { width: 360 });
    await rowOf(narrow, noah.userId).waitFor();
    await narrow.screenshot({ path: artifactPath('live-agency-360.png'), fullPage: true });
    // Nothing overflows sideways at 360 px.
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await narrow.close();
    expect(seen.errors).toEqual([]);
  });
});
