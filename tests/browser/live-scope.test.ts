/**
 * Scope in the browser: a location user's dashboard shows only themselves (never a colleague,
 * not over REST either), and another agency's dashboard stays empty while this one is busy.
 */
import type { DevLogin, PresenceSnapshot } from '@activity-hub/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startHub, type TestHub } from '../helpers/hub.ts';
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

const A = 'scope-a';
const boss: DevLogin = { userId: 'a-boss', name: 'Agnes Boss', role: 'agency', agencyId: A, locationId: null };
const lena: DevLogin = {
  userId: 'a-lena',
  name: 'Lena Location',
  role: 'location',
  agencyId: A,
  locationId: 'a-north',
};
const colleague: DevLogin = {
  userId: 'a-carl',
  name: 'Carl Colleague',
  role: 'location',
  agencyId: A,
  locationId: 'a-north',
};
const other: DevLogin = { userId: 'a-otto', name: 'Otto Other', role: 'location', agencyId: A, locationId: 'a-south' };
const bBoss: DevLogin = { userId: 'b-boss', name: 'Bea Boss', role: 'agency', agencyId: 'scope-b', locationId: null };
// The same user id as Lena, in agency B: user ids are only unique within an agency.
const bLena: DevLogin = { ...lena, name: 'Lena of B', agencyId: 'scope-b' };

let hub: TestHub;
let browser: TestBrowser;
const trackers: Page[] = [];

beforeAll(async () => {
  hub = await startHub({ DISCONNECT_GRACE_MS: '1000' });
  browser = await launchBrowser();
  await serveTrackedPages(browser.context, hub.url);
  // Agency A is busy: Lena, a colleague in her location and someone in another location.
  const started = [
    [lena, '/t/lena-home'],
    [colleague, '/t/carl-home'],
    [other, '/t/otto-home'],
  ] as const;
  trackers.push(
    ...(await Promise.all(
      started.map(async ([user, path]) =>
        openTracker(browser.context, hub.url, (await devLogin(hub.url, user)).token, path),
      ),
    )),
  );
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

async function presence(user: DevLogin): Promise<string[]> {
  const { token } = await devLogin(hub.url, user);
  const res = await fetch(`${hub.url}/api/v1/presence`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as PresenceSnapshot).entries.map((e) => `${e.agencyId}/${e.userId}`).sort();
}

describe('live view scope', () => {
  it("a location user's dashboard shows only themselves, live and over REST", async () => {
    const agency = await openDashboard(browser.context, hub.url, boss);
    await expect.poll(() => shownUsers(agency)).toEqual([colleague.userId, lena.userId, other.userId].sort());

    const page = await openDashboard(browser.context, hub.url, lena);
    const seen = watchPage(page);
    await rowOf(page, lena.userId).getByTestId('presence-path').filter({ hasText: '/t/lena-home' }).waitFor();
    // Location users get no agency filters.
    expect(await page.getByTestId('live-location').count()).toBe(0);

    // The colleague moves around; Lena moves too. Lena's dashboard follows Lena only.
    await navigate(trackers[1]!, '/t/carl-secret');
    await navigate(trackers[0]!, '/t/lena-next');
    await rowOf(agency, colleague.userId).getByTestId('presence-path').filter({ hasText: '/t/carl-secret' }).waitFor();
    await rowOf(page, lena.userId).getByTestId('presence-path').filter({ hasText: '/t/lena-next' }).waitFor();
    await rowOf(agency, lena.userId).getByTestId('presence-path').filter({ hasText: '/t/lena-next' }).waitFor();
    expect(await shownUsers(page)).toEqual([lena.userId]);
    expect(await page.getByTestId('count-online').textContent()).toBe('1');
    const feed = await page.getByTestId('feed-item').allTextContents();
    expect(feed.length).toBeGreaterThan(0);
    expect(feed.join('\n')).not.toMatch(/Carl|Otto|carl|otto/);
    expect(await page.locator('main').textContent()).not.toMatch(/Carl|Otto|carl-|otto-/);

    // REST: the same scope, whatever the query string says.
    expect(await presence(lena)).toEqual([`${A}/${lena.userId}`]);
    expect(await presence(colleague)).toEqual([`${A}/${colleague.userId}`]);
    expect(await presence(boss)).toEqual([colleague, lena, other].map((u) => `${A}/${u.userId}`).sort());
    const { token } = await devLogin(hub.url, lena);
    const widened = await page.evaluate(async (t) => {
      const r = await fetch(`/api/v1/presence?userId=a-carl&agencyId=scope-b`, {
        headers: { authorization: `Bearer ${t}` },
      });
      return ((await r.json()) as { entries?: { userId: string }[] }).entries?.map((e) => e.userId) ?? [];
    }, token);
    expect(widened.every((id) => id === lena.userId)).toBe(true);

    await page.mouse.move(0, 0);
    await page.screenshot({ path: artifactPath('live-location.png'), fullPage: true });
    expect(seen.errors).toEqual([]);
    await page.close();
    await agency.close();
  });

  it("another agency's dashboard stays empty while agency A is busy", async () => {
    const b = await openDashboard(browser.context, hub.url, bBoss);
    const bLenaPage = await openDashboard(browser.context, hub.url, bLena);
    await b.getByTestId('live-empty').waitFor();
    await bLenaPage.getByTestId('live-empty').waitFor();

    // Agency A: navigations, a new tab and a close, all while B watches.
    const agency = await openDashboard(browser.context, hub.url, boss);
    const extra = await openTracker(browser.context, hub.url, (await devLogin(hub.url, other)).token, '/t/otto-second');
    await navigate(trackers[2]!, '/t/otto-third');
    await navigate(trackers[0]!, '/t/lena-third');
    await rowOf(agency, lena.userId).getByTestId('presence-path').filter({ hasText: '/t/lena-third' }).waitFor();
    await extra.close();
    await agency.locator(`[data-testid="feed-item"][data-kind="offline"]`).first().waitFor({ timeout: 5_000 });

    for (const p of [b, bLenaPage]) {
      expect(await p.getByTestId('presence-row').count()).toBe(0);
      expect(await p.getByTestId('feed-item').count()).toBe(0);
      expect(await p.getByTestId('count-online').textContent()).toBe('0');
      expect(await p.getByTestId('live-empty').isVisible()).toBe(true);
    }
    expect(await presence(bBoss)).toEqual([]);
    expect(await presence(bLena)).toEqual([]);
    await b.screenshot({ path: artifactPath('live-other-agency-empty.png') });
  });
});
