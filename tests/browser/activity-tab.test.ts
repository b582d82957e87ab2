/**
 * The Activity tab in real Chromium against a real hub with seeded sessions: rows grouped by
 * day, a session expanded from the keyboard, scrolling to the end loads every session exactly
 * once, a location user sees only themselves ("My activity"), and hostile names, titles and
 * paths render as text here and in History's tables.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../client/src/lib/format.ts';
import { toDateString } from '../../client/src/lib/ranges.ts';
import { artifactPath, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startHub, type TestHub } from '../helpers/hub.ts';
import { ana, boss, HOSTILE, injected, scrollToEnd, seedActivity, shownTabIds, type Seed } from './activity-helpers.ts';
import { openDashboard, watchPage } from './live-helpers.ts';

let hub: TestHub;
let browser: TestBrowser;
let seed: Seed;

beforeAll(async () => {
  [hub, browser] = await Promise.all([startHub(), launchBrowser()]);
  seed = await seedActivity(hub);
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

async function openActivity(query = 'tab=activity&range=last7&tz=UTC', width?: number): Promise<Page> {
  const page = await openDashboard(browser.context, hub.url, boss, { width });
  await page.goto(`${hub.url}/?${query}`);
  await page.getByTestId('session-row').first().waitFor();
  return page;
}

describe('activity tab', () => {
  it('lists sessions by day, expands one from the keyboard, and scrolls to the end without duplicates or gaps', async () => {
    const page = await openActivity();
    const watch = watchPage(page);
    expect(await page.getByRole('tab', { name: 'Activity' }).getAttribute('aria-selected')).toBe('true');
    const tabs = await page.getByRole('tab').allTextContents();
    expect(tabs.map((t) => t.trim())).toEqual(['Live', 'Activity', 'History']);

    // The newest session's row: who, where, device, duration, engaged time, pages, entry → exit.
    const newest = seed.sessions[0]!;
    const row = page.getByTestId('session-row').first();
    expect(await row.getAttribute('data-tab-id')).toBe(newest.session.id);
    const pvs = newest.pageviews;
    const engaged = pvs.reduce((s, p) => s + p.engagedMs, 0);
    expect(await row.getByTestId('user-link').textContent()).toBe(newest.session.userName);
    expect(await row.getByTestId('session-engaged').textContent()).toBe(formatDuration(engaged));
    expect(await row.getByTestId('session-duration').textContent()).toBe(
      formatDuration(newest.session.endedAt!.getTime() - newest.session.startedAt.getTime()),
    );
    expect(await row.getByTestId('session-pages').textContent()).toContain(String(pvs.length));
    expect(await row.getByTestId('session-flow').textContent()).toContain(pvs[0]!.path);
    if (pvs.length > 1) expect(await row.getByTestId('session-flow').textContent()).toContain(pvs.at(-1)!.path);

    // Expand with the keyboard: the page views in order, with how each ended.
    const toggle = row.locator('button[aria-expanded]');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    const detail = row.getByTestId('session-detail');
    await detail.getByTestId('pageview-row').first().waitFor();
    expect(await detail.getByTestId('pageview-path').allTextContents()).toEqual(pvs.map((p) => p.path));
    expect(await detail.getByTestId('pageview-title').allTextContents()).toEqual(pvs.map((p) => p.title));
    expect(await detail.getByTestId('pageview-engaged').allTextContents()).toEqual(
      pvs.map((p) => formatDuration(p.engagedMs)),
    );
    expect(new Set(await detail.getByTestId('pageview-end').allTextContents())).toEqual(new Set(['Navigated on']));
    expect(
      await page.evaluate(
        () => document.getElementById(document.activeElement?.getAttribute('aria-controls') ?? '')?.dataset.testid,
      ),
    ).toBe('session-detail');
    await page.screenshot({ path: artifactPath('activity-light.png') });

    // Scrolling loads every session once, newest first, each under its own day.
    await scrollToEnd(page);
    const shown = await shownTabIds(page);
    // Every seeded session once (the order of sessions that started in the same instant is the hub's).
    expect([...shown].sort()).toEqual(seed.sessions.map((s) => s.session.id).sort());
    const starts = shown.map((id) => seed.sessions.find((s) => s.session.id === id)!.session.startedAt.getTime());
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(new Set(shown).size).toBe(shown.length);
    const days = await page.getByTestId('session-day').evaluateAll((els) =>
      els.map((e) => ({
        date: e.getAttribute('data-date'),
        ids: [...e.querySelectorAll('[data-testid="session-row"]')].map((r) => r.getAttribute('data-tab-id')),
      })),
    );
    for (const day of days)
      for (const id of day.ids)
        expect(toDateString(seed.sessions.find((s) => s.session.id === id)!.session.startedAt.getTime(), 'UTC')).toBe(
          day.date,
        );
    expect(await page.getByTestId('sessions-end').textContent()).toContain(String(seed.sessions.length));

    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('activity-dark.png') });
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('filters by user and path in the URL, and shows an empty state', async () => {
    const page = await openActivity('tab=activity&range=last7&tz=UTC&user=ana&path=%2Fcalendar');
    const expected = seed.sessions.filter(
      (s) => s.session.userId === 'ana' && s.pageviews.some((p) => p.path === '/calendar'),
    );
    await scrollToEnd(page);
    expect((await shownTabIds(page)).sort()).toEqual(expected.map((s) => s.session.id).sort());
    expect(await page.getByTestId('activity-user').inputValue()).toBe('ana');

    await page.getByTestId('activity-path').fill('/nowhere');
    await page.getByTestId('activity-empty').waitFor();
    expect(new URL(page.url()).searchParams.get('path')).toBe('/nowhere');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByTestId('session-row').first().waitFor();
    expect(new URL(page.url()).searchParams.get('user')).toBeNull();
    await page.close();
  });

  it('shows a location user only their own sessions, as "My activity" by default', async () => {
    const page = await openDashboard(browser.context, hub.url, ana, { width: 360, query: '?tab=live' });
    await page.goto(`${hub.url}/`);
    await page.getByRole('tab', { name: 'My activity' }).waitFor();
    expect(await page.getByRole('tab', { name: 'My activity' }).getAttribute('aria-selected')).toBe('true');
    await page.getByTestId('session-row').first().waitFor();
    expect(await page.getByTestId('activity-user').count()).toBe(0);
    await page.screenshot({ path: artifactPath('activity-360-location.png'), fullPage: false });
    await scrollToEnd(page);
    const shown = await shownTabIds(page);
    expect([...shown].sort()).toEqual(
      seed.sessions
        .filter((s) => s.session.userId === 'ana')
        .map((s) => s.session.id)
        .sort(),
    );
    const users = await page
      .getByTestId('session-row')
      .evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-user-id')))]);
    expect(users).toEqual(['ana']);
    // No horizontal scrolling at 360 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.close();
  });

  it('renders hostile names, titles and paths as text in Activity and in History', async () => {
    const page = await openActivity('tab=activity&range=last7&tz=UTC&user=mal');
    const row = page.getByTestId('session-row').first();
    expect(await row.getByTestId('user-link').textContent()).toBe(HOSTILE.name);
    await row.locator('button[aria-expanded]').click();
    await row.getByTestId('pageview-row').first().waitFor();
    expect(new Set(await row.getByTestId('pageview-title').allTextContents())).toEqual(new Set([HOSTILE.title]));
    expect(new Set(await row.getByTestId('pageview-path').allTextContents())).toEqual(new Set([HOSTILE.path]));
    expect(await row.getByTestId('session-flow').textContent()).toContain(HOSTILE.path);
    expect(await injected(page)).toEqual({ xss: null, elements: 0 });

    // History: the users table, top pages, and the charts' captions and legends.
    await page.goto(`${hub.url}/?tab=history&range=last7&tz=UTC`);
    await page.getByTestId('user-row').first().waitFor();
    const names = await page.getByTestId('user-row').getByTestId('user-link').allTextContents();
    expect(names).toContain(HOSTILE.name);
    expect(await page.getByTestId('top-pages').locator('.path').allTextContents()).toContain(HOSTILE.path);
    const captions = await page.locator('figure.chart figcaption').allTextContents();
    expect(captions.join(' ')).not.toMatch(/[<>]/);
    expect(await page.getByTestId('history-chart-pageviews').getAttribute('aria-label')).toMatch(
      /^Page views per day: /,
    );
    expect(await injected(page)).toEqual({ xss: null, elements: 0 });
    await page.close();
  });
});
