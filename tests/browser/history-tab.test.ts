/**
 * The dashboard's history tab in real Chromium against a real hub: range and granularity
 * change the totals, filters narrow them and land in the URL (a shared view restores), the CSV
 * export downloads exactly the page views in scope, and a location user sees only their own.
 */
import fs from 'node:fs';
import type { DevLogin } from '@activity-hub/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageviewDoc } from '../../server/src/storage/models.ts';
import { artifactPath, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startHub, type TestHub } from '../helpers/hub.ts';
import { openDashboard, watchPage } from './live-helpers.ts';

const AGENCY = 'hist-a';
const boss: DevLogin = { userId: 'boss', name: 'Boss Agency', role: 'agency', agencyId: AGENCY, locationId: null };
const ana: DevLogin = { userId: 'ana', name: 'Ana Location', role: 'location', agencyId: AGENCY, locationId: 'loc-2' };
const MIN = 60_000;
const DAY = 86_400_000;

let hub: TestHub;
let browser: TestBrowser;

/** Known history: Ben (loc-1) 3 page views today and 1 ten days ago; Ana (loc-2) 2 today; another agency 4. */
async function seed(): Promise<void> {
  const now = Date.now();
  const doc = (
    agencyId: string,
    userId: string,
    userName: string,
    locationId: string,
    startedAt: number,
    n: number,
  ): PageviewDoc => {
    const id = `${userId}-${n}-${startedAt}`;
    return {
      _id: `${agencyId}:${id}`,
      id,
      sessionId: `s-${userId}`,
      userId,
      userName,
      agencyId,
      locationId,
      url: `https://app.example/p${n}`,
      path: `/p${n}`,
      title: `Page ${n}`,
      referrer: '',
      startedAt: new Date(startedAt),
      lastSeenAt: new Date(startedAt + MIN),
      aliveAt: new Date(startedAt + MIN),
      endedAt: new Date(startedAt + MIN),
      engagedMs: 30_000,
      endReason: 'leave',
      seqFloor: -1,
      seqs: [],
      updatedAt: new Date(),
    };
  };
  await hub.hub.db.models.pageviews.insertMany([
    doc(AGENCY, 'ben', 'Ben Location', 'loc-1', now - 5 * MIN, 1),
    doc(AGENCY, 'ben', 'Ben Location', 'loc-1', now - 4 * MIN, 2),
    doc(AGENCY, 'ben', 'Ben Location', 'loc-1', now - 3 * MIN, 1),
    doc(AGENCY, 'ben', 'Ben Location', 'loc-1', now - 10 * DAY, 3),
    doc(AGENCY, 'ana', 'Ana Location', 'loc-2', now - 5 * MIN, 1),
    doc(AGENCY, 'ana', 'Ana Location', 'loc-2', now - 2 * MIN, 2),
    ...[1, 2, 3, 4].map((n) => doc('hist-b', 'eve', 'Eve Other', 'loc-9', now - n * MIN, n)),
  ]);
  // Sessions feed the directory (filter pickers).
  await hub.hub.db.models.sessions.insertMany(
    [
      ['ben', 'Ben Location', 'loc-1'],
      ['ana', 'Ana Location', 'loc-2'],
    ].map(([userId, userName, locationId]) => ({
      _id: `${AGENCY}:${userId}:s-${userId}`,
      id: `s-${userId}`,
      userId: userId!,
      userName: userName!,
      agencyId: AGENCY,
      locationId: locationId!,
      userAgent: '',
      device: 'desktop',
      startedAt: new Date(now - 10 * DAY),
      lastSeenAt: new Date(now - MIN),
      endedAt: new Date(now - MIN),
    })),
  );
}

async function openHistory(user: DevLogin, query = ''): Promise<Page> {
  const page = await openDashboard(browser.context, hub.url, user);
  if (query) await page.goto(`${hub.url}/?${query}`);
  await page.getByRole('tab', { name: 'History' }).click();
  await page.getByTestId('history-total-pageviews').waitFor();
  return page;
}

const total = async (page: Page, expected: number): Promise<void> => {
  await expect
    .poll(async () => Number((await page.getByTestId('history-total-pageviews').textContent())?.replace(/\D/g, '')), {
      timeout: 10_000,
    })
    .toBe(expected);
};

beforeAll(async () => {
  [hub, browser] = await Promise.all([startHub(), launchBrowser()]);
  await seed();
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('history tab', () => {
  it('changes range and granularity, filters, shares the view by URL, and exports CSV', async () => {
    const page = await openHistory(boss);
    const watch = watchPage(page);
    await page.getByTestId('history-range').selectOption('last7');
    await total(page, 5);
    await page.getByTestId('history-range').selectOption('last30');
    await total(page, 6);
    const weekly = page.waitForResponse(
      (r) => r.url().includes('/api/v1/summary') && r.url().includes('granularity=week'),
    );
    await page.getByTestId('history-granularity').selectOption('week');
    const summary = (await (await weekly).json()) as { buckets: { start: string; end: string }[] };
    // Calendar weeks from Monday: about five of them cover 30 days.
    expect(summary.buckets.length).toBeGreaterThanOrEqual(5);
    expect(summary.buckets.length).toBeLessThanOrEqual(6);
    expect(new Date(summary.buckets[0]!.start).getUTCDay()).toBe(1);
    await total(page, 6);
    await expect.poll(() => page.getByTestId('user-row').count()).toBe(2);
    await page.screenshot({ path: artifactPath('history-agency.png'), fullPage: true });

    await page.getByTestId('history-user').selectOption('ana');
    await total(page, 2);
    expect(new URL(page.url()).searchParams.get('user')).toBe('ana');
    expect(page.url()).not.toMatch(/token|eyJ/);

    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const file = await (await download).path();
    const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
    expect(lines).toHaveLength(3); // header + Ana's two page views
    expect(lines.slice(1).every((l) => l.includes('ana'))).toBe(true);

    // The URL is the shared view: a reload restores every filter.
    await page.reload();
    await page.getByTestId('history-total-pageviews').waitFor();
    await total(page, 2);
    expect(await page.getByTestId('history-granularity').inputValue()).toBe('week');
    expect(await page.getByTestId('history-user').inputValue()).toBe('ana');
    expect(watch.errors).toEqual([]);
  });

  it('labels the engaged-time axis in distinct steps when a day holds less than a second', async () => {
    const few: DevLogin = { userId: 'boss', name: 'Boss Few', role: 'agency', agencyId: 'hist-few', locationId: null };
    const startedAt = new Date(Date.now() - 3 * MIN);
    await hub.hub.db.models.pageviews.insertOne({
      _id: 'hist-few:pv-1',
      id: 'pv-1',
      sessionId: 's-1',
      userId: 'zed',
      userName: 'Zed Few',
      agencyId: 'hist-few',
      locationId: 'loc-1',
      url: 'https://app.example/p',
      path: '/p',
      title: 'P',
      referrer: '',
      startedAt,
      lastSeenAt: startedAt,
      aliveAt: startedAt,
      endedAt: startedAt,
      engagedMs: 800,
      endReason: 'leave',
      seqFloor: -1,
      seqs: [],
      updatedAt: new Date(),
    });
    const page = await openHistory(few);
    await total(page, 1);
    const ticks = async () =>
      (await page.getByTestId('history-chart-engaged').locator('canvas').getAttribute('data-y-ticks')) ?? '';
    await expect.poll(ticks, { timeout: 10_000 }).toMatch(/\|/);
    const labels = (await ticks()).split('|');
    // 0.8 s charted in minutes: ticks a few ten-thousandths of a minute apart would all read "0s".
    expect(new Set(labels).size, labels.join(' ')).toBe(labels.length);
    expect(labels).toContain('1m');
  });

  it('shows a location user only their own history', async () => {
    const page = await openHistory(ana);
    await page.getByTestId('history-range').selectOption('last30');
    await total(page, 2);
    expect(await page.getByTestId('history-user').count()).toBe(0);
    await page.screenshot({ path: artifactPath('history-location.png'), fullPage: true });
  });
});
