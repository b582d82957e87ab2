/**
 * The dashboard through a database outage, in real Chromium (issue #12): a hub against a
 * standalone embedded database that is stopped and brought back on the same port and files.
 * While it is down the History tab shows "History is temporarily unavailable" instead of a
 * broken page, and the Live tab still shows a tracked user online, and a user who opens the
 * app during the outage; once it is back, her page view is stored and "Try again" brings the
 * totals back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevLogin } from '@activity-hub/protocol';
import { startEmbeddedMongo, type EmbeddedMongo } from '@activity-hub/embedded-mongo';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageviewDoc } from '../../server/src/storage/models.ts';
import { artifactPath, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { uniqueDbName } from '../helpers/database-target.ts';
import { FAST_TIMINGS } from '../helpers/hub-process.ts';
import { eventually, startHub, type TestHub } from '../helpers/hub.ts';
import { devLogin, openDashboard, openTracker, rowOf, serveTrackedPages, watchPage } from './live-helpers.ts';

const AGENCY = 'dbout-a';
const boss: DevLogin = { userId: 'boss', name: 'Boss Agency', role: 'agency', agencyId: AGENCY, locationId: null };
const ben: DevLogin = { userId: 'ben', name: 'Ben Location', role: 'location', agencyId: AGENCY, locationId: 'loc-1' };
const ana: DevLogin = { userId: 'ana', name: 'Ana Location', role: 'location', agencyId: AGENCY, locationId: 'loc-2' };
const MIN = 60_000;
const DAY = 86_400_000;
/** Longer than a presence entry lives without a refresh (STALE_AFTER_MS + 2 sweeps = 12 s). */
const DOWN_MS = 15_000;
const NOTICE = 'History is temporarily unavailable';

let dir: string;
let db: EmbeddedMongo;
let dbPort: number;
let hub: TestHub;
let browser: TestBrowser;

/** Ben's history: three page views today and one ten days ago. */
async function seed(): Promise<void> {
  const now = Date.now();
  const doc = (startedAt: number, n: number): PageviewDoc => ({
    _id: `${AGENCY}:seed-${n}`,
    id: `seed-${n}`,
    sessionId: 's-seed',
    userId: ben.userId,
    userName: ben.name,
    agencyId: AGENCY,
    locationId: ben.locationId!,
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
  });
  await hub.hub.db.models.pageviews.insertMany([
    doc(now - 30 * MIN, 1),
    doc(now - 20 * MIN, 2),
    doc(now - 10 * MIN, 3),
    doc(now - 10 * DAY, 4),
  ]);
}

const total = async (page: Page, expected: number): Promise<void> => {
  await expect
    .poll(async () => Number((await page.getByTestId('history-total-pageviews').textContent())?.replace(/\D/g, '')), {
      timeout: 10_000,
    })
    .toBe(expected);
};

/** The outage notice is shown, and neither the report nor the generic error is. */
const expectNotice = async (page: Page): Promise<void> => {
  const notice = page.getByTestId('history-unavailable');
  await notice.waitFor({ timeout: 10_000 });
  expect(await notice.getAttribute('role')).toBe('status');
  expect(await notice.textContent()).toContain(NOTICE);
  expect(await notice.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
  expect(await page.getByTestId('history-error').count()).toBe(0);
  expect(await page.getByTestId('history-total-pageviews').count()).toBe(0);
  expect(await page.getByRole('heading', { name: 'History' }).isVisible()).toBe(true);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ah-history-outage-'));
  db = await startEmbeddedMongo({ port: 0, dataDir: dir });
  dbPort = Number(new URL(db.url).port);
  const mongoUrl = `${db.url.replace(/\/?$/, '/')}${uniqueDbName('histout')}`;
  [hub, browser] = await Promise.all([startHub({ ...FAST_TIMINGS, MONGO_URL: mongoUrl }), launchBrowser()]);
  await serveTrackedPages(browser.context, hub.url);
  await seed();
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dashboard during a database outage', () => {
  it('shows the history notice while live presence goes on, and the totals again after recovery', async () => {
    // Ben is on a page with the real tracker; his page view is stored before the outage.
    const tracked = await openTracker(browser.context, hub.url, (await devLogin(hub.url, ben)).token, '/t/contacts');
    await eventually(
      async () => (await hub.hub.db.models.pageviews.countDocuments({ agencyId: AGENCY })) === 5,
      10_000,
    );

    const page = await openDashboard(browser.context, hub.url, boss);
    const watch = watchPage(page);
    await rowOf(page, ben.userId).waitFor();
    await page.getByRole('tab', { name: 'History' }).click();
    await total(page, 4); // last 7 days: three seeded today and the tracked one

    await db.close();
    const down = Date.now();
    // The hub's driver monitor notices within about a second; from then on it refuses at once.
    await eventually(() => hub.hub.db.availability.down, 10_000);
    // What a user does next: look at a longer range. The hub answers 503 `unavailable`.
    const refused = page.waitForResponse((r) => r.url().includes('/api/v1/summary') && r.status() === 503);
    await page.getByTestId('history-range').selectOption('last30');
    expect((await refused).status()).toBe(503);
    await expectNotice(page);
    await page.screenshot({ path: artifactPath('history-db-outage-notice.png'), fullPage: true });

    // The live view goes on: still connected, Ben still online, past the time an unrefreshed
    // presence entry would have expired.
    await page.getByRole('tab', { name: 'Live' }).click();
    await rowOf(page, ben.userId).waitFor();
    // Ana opens the app while the database is out: her page view cannot be stored yet (her
    // tracker keeps it and retries), but the live view shows her online at once.
    const late = await openTracker(browser.context, hub.url, (await devLogin(hub.url, ana)).token, '/t/reports');
    await rowOf(page, ana.userId).waitFor({ timeout: 10_000 });
    expect(await rowOf(page, ana.userId).textContent()).toContain('/t/reports');
    await sleep(Math.max(0, DOWN_MS - (Date.now() - down)));
    expect(await page.getByTestId('connection-status').getAttribute('data-state')).toBe('connected');
    expect(await rowOf(page, ben.userId).isVisible()).toBe(true);
    await page.screenshot({ path: artifactPath('history-db-outage-live.png'), fullPage: true });

    // Back on History: the view reloads, and the hub still refuses (the database is still out).
    // Waited for, so that no load is left in flight to land after the restart by itself.
    const reloaded = page.waitForResponse((r) => r.url().includes('/api/v1/summary'));
    await page.getByRole('tab', { name: 'History' }).click();
    expect((await reloaded).status()).toBe(503);
    await expectNotice(page);

    db = await startEmbeddedMongo({ port: dbPort, dataDir: dir });
    // Ana's tracker delivers the page view made during the outage.
    await eventually(
      async () => (await hub.hub.db.models.pageviews.countDocuments({ agencyId: AGENCY })) === 6,
      30_000,
      250,
    );
    // The notice does not retry by itself: the user presses "Try again" until the hub has
    // noticed the database is back (its monitor checks every second).
    await eventually(
      async () => {
        const retry = page.getByTestId('history-unavailable').getByRole('button', { name: 'Try again' });
        if (await retry.isVisible()) await retry.click();
        await page.locator('.history[aria-busy="false"]').waitFor({ timeout: 5_000 });
        return (await page.getByTestId('history-total-pageviews').count()) === 1;
      },
      20_000,
      1_000,
    );
    // The range runs to the end of today: the four seeded, Ben's, and Ana's from the outage.
    await total(page, 6);
    expect(await page.getByTestId('history-unavailable').count()).toBe(0);
    await page.screenshot({ path: artifactPath('history-db-outage-recovered.png'), fullPage: true });

    expect(watch.errors).toEqual([]);
    expect(watch.dialogs).toEqual([]);
    await tracked.close();
    await late.close();
  }, 60_000);
});
