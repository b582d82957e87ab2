/**
 * The user page in real Chromium against a real hub: opened from a name (users table, a live
 * presence row) and left with the back button; cards and the weekday × hour heatmap match the
 * seed's ground truth in UTC and in Asia/Kolkata (+05:30); a location user only ever sees
 * their own page; erasure asks for the user's name and afterwards their figures are gone.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../client/src/lib/format.ts';
import { artifactPath, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startHub, type TestHub } from '../helpers/hub.ts';
import {
  ana,
  boss,
  expectedHeatmap,
  HOSTILE,
  injected,
  scrollToEnd,
  seedActivity,
  shownHeatmap,
  shownTabIds,
  type Seed,
} from './activity-helpers.ts';
import { devLogin, openDashboard, openTracker, serveTrackedPages, watchPage } from './live-helpers.ts';

let hub: TestHub;
let browser: TestBrowser;
let seed: Seed;

beforeAll(async () => {
  [hub, browser] = await Promise.all([startHub(), launchBrowser()]);
  seed = await seedActivity(hub);
  await serveTrackedPages(browser.context, hub.url);
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

const digits = async (page: Page, testid: string): Promise<number> =>
  Number((await page.getByTestId(testid).textContent())?.replace(/\D/g, ''));

/** Waits for the cards to show `userId`'s seeded figures (the whole seed lies in the last 30 days). */
async function expectCards(page: Page, userId: string, erased = false): Promise<void> {
  const pvs = erased ? [] : seed.pageviews.filter((p) => p.userId === userId);
  const sessions = erased ? [] : seed.sessions.filter((s) => s.session.userId === userId);
  await expect.poll(() => digits(page, 'user-card-pageviews'), { timeout: 10_000 }).toBe(pvs.length);
  expect(await page.getByTestId('user-card-engaged').textContent()).toBe(
    formatDuration(pvs.reduce((s, p) => s + p.engagedMs, 0)),
  );
  await expect.poll(() => digits(page, 'user-card-sessions')).toBe(sessions.length);
}

describe('user page', () => {
  it('opens from a name, matches the seed in two time zones, and goes back', async () => {
    const page = await openDashboard(browser.context, hub.url, boss);
    const watch = watchPage(page);
    await page.goto(`${hub.url}/?tab=history&range=last30&tz=UTC`);
    await page.locator('[data-testid="user-row"][data-user-id="ben"]').getByTestId('user-link').click();
    await page.locator('[data-testid="user-page"][data-user-id="ben"]').waitFor();
    expect(new URL(page.url()).searchParams.get('view')).toBe('user');
    expect(await page.getByTestId('user-name').textContent()).toBe('Ben Location');
    expect(await page.getByTestId('user-location').textContent()).toBe('loc-1');
    await expectCards(page, 'ben');

    for (const tz of ['UTC', 'Asia/Kolkata']) {
      if (tz !== 'UTC') {
        await page.getByTestId('user-tz').fill(tz);
        await page.getByTestId('user-tz').press('Enter');
      }
      await page.locator(`[data-testid="heatmap"][data-tz="${tz}"]`).waitFor();
      const expected = expectedHeatmap(seed, 'ben', tz);
      await expect
        .poll(async () => Object.fromEntries(await shownHeatmap(page)), { timeout: 10_000 })
        .toEqual(Object.fromEntries(expected));
      // Each cell carries its own label, and the busy cells are a table too.
      const busiest = [...expected].sort((a, b) => b[1].ms - a[1].ms)[0]!;
      const [weekday, hour] = busiest[0].split('-');
      const label = await page
        .locator(`[data-testid="heatmap-cell"][data-weekday="${weekday}"][data-hour="${hour}"]`)
        .getAttribute('aria-label');
      expect(label).toContain(formatDuration(busiest[1].ms));
      const busyCells = [...expected.values()].filter((c) => c.pv > 0).length;
      expect(await page.getByTestId('heatmap-table').locator('tbody tr').count()).toBe(busyCells);
    }
    expect(new URL(page.url()).searchParams.get('tz')).toBe('Asia/Kolkata');

    // The user's own sessions, with the "Load more" button as the fallback to scrolling.
    const list = page.getByTestId('user-sessions');
    await list.getByTestId('session-row').first().waitFor();
    while ((await list.getByTestId('user-sessions-more').count()) > 0) {
      await list.getByTestId('user-sessions-more').click();
      await page.waitForTimeout(100);
    }
    await scrollToEnd(page, 'user-sessions');
    const ids = await shownTabIds(page, 'user-sessions');
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(
      seed.sessions
        .filter((s) => s.session.userId === 'ben')
        .map((s) => s.session.id)
        .sort(),
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('user-page-light.png'), fullPage: true });
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await page.screenshot({ path: artifactPath('user-page-dark.png'), fullPage: true });
    await page.getByRole('button', { name: 'Switch to light theme' }).click();

    await page.goBack();
    await page.getByTestId('user-row').first().waitFor();
    expect(new URL(page.url()).searchParams.get('tab')).toBe('history');
    expect(await page.getByTestId('user-page').count()).toBe(0);
    expect(watch.errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows "online now" from a presence row, and hostile names as text', async () => {
    // Cleo is not in the seed, so her live page view does not change anyone's seeded figures.
    const { token } = await devLogin(hub.url, { ...ana, userId: 'cleo', name: 'Cleo Live', locationId: 'loc-3' });
    const tracker = await openTracker(browser.context, hub.url, token, '/t/contacts?title=Contacts%20list');
    const page = await openDashboard(browser.context, hub.url, boss, { width: 360 });
    await page.locator('[data-testid="presence-row"][data-user-id="cleo"]').waitFor();
    await page.locator('[data-testid="user-link"][data-user-id="cleo"]').first().click();
    await page.getByTestId('user-online').waitFor();
    expect(await page.getByTestId('user-online').textContent()).toMatch(/Online now on\s+Contacts list/);
    expect(await page.getByTestId('user-name').textContent()).toBe('Cleo Live');
    await page.getByTestId('heatmap').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: artifactPath('user-page-360.png'), fullPage: true });
    await tracker.close();

    await page.goto(`${hub.url}/?view=user&userId=mal&tab=activity&range=last30&tz=UTC`);
    await page.locator('[data-testid="user-sessions"] [data-testid="session-row"]').first().waitFor();
    expect(await page.getByTestId('user-name').textContent()).toBe(HOSTILE.name);
    expect(await page.getByTestId('top-pages').locator('.path').allTextContents()).toEqual([HOSTILE.path]);
    await page.getByTestId('erase-open').click();
    expect(await page.locator('#erase-title').textContent()).toContain(HOSTILE.name);
    await page.keyboard.press('Escape');
    expect(await injected(page)).toEqual({ xss: null, elements: 0 });
    await page.close();
  });

  it('shows a location user only their own page, without erasure', async () => {
    const page = await openDashboard(browser.context, hub.url, ana, { query: '?tab=live' });
    await page.goto(`${hub.url}/?view=user&userId=ben&tab=activity&range=last30&tz=UTC`);
    await page.locator('[data-testid="user-page"][data-user-id="ana"]').waitFor();
    await expectCards(page, 'ana');
    expect(await page.getByTestId('erase-open').count()).toBe(0);
    const users = await page
      .getByTestId('session-row')
      .evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-user-id')))]);
    expect(users).toEqual(['ana']);
    await page.close();
  });

  it('erases a user after a confirmation naming them; their figures are gone, others unchanged', async () => {
    const page = await openDashboard(browser.context, hub.url, boss);
    await page.goto(`${hub.url}/?view=user&userId=ben&tab=activity&range=last30&tz=UTC`);
    await expectCards(page, 'ben');
    await page.getByTestId('erase-open').click();
    const dialog = page.getByTestId('erase-dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('heading').textContent()).toContain('Ben Location');
    expect(await dialog.getByTestId('erase-confirm').isDisabled()).toBe(true);
    await dialog.getByTestId('erase-confirm-input').fill('Ben');
    expect(await dialog.getByTestId('erase-confirm').isDisabled()).toBe(true);
    await dialog.getByTestId('erase-confirm-input').fill('Ben Location');
    await page.screenshot({ path: artifactPath('erase-dialog.png') });
    await dialog.getByTestId('erase-confirm').click();
    await page.getByTestId('erase-done').waitFor();
    const bens = seed.sessions.filter((s) => s.session.userId === 'ben');
    expect(await page.getByTestId('erase-done').textContent()).toContain(
      `${bens.flatMap((s) => s.pageviews).length} page views and ${bens.length} sessions of Ben Location`,
    );
    await expectCards(page, 'ben', true);
    await expect
      .poll(async () => [...(await shownHeatmap(page)).values()].every((c) => c.pv === 0 && c.ms === 0))
      .toBe(true);

    await page.goto(`${hub.url}/?view=user&userId=ana&tab=activity&range=last30&tz=UTC`);
    await expectCards(page, 'ana');
    await page.goto(`${hub.url}/?tab=activity&range=last7&tz=UTC`);
    await page.getByTestId('session-row').first().waitFor();
    await scrollToEnd(page);
    // Everyone else's sessions are all still there (Cleo's live one from the test above aside).
    const seeded = new Set(seed.sessions.map((s) => s.session.id));
    const left = (await shownTabIds(page)).filter((id) => seeded.has(id));
    expect(left.sort()).toEqual(
      seed.sessions
        .filter((s) => s.session.userId !== 'ben')
        .map((s) => s.session.id)
        .sort(),
    );
    expect(await page.locator('[data-testid="session-row"][data-user-id="ben"]').count()).toBe(0);
    await page.close();
  });
});
