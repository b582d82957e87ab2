/**
 * Installing the tracker, end to end: a page without a token or with a bad one stays quiet and
 * gains one global; query strings are dropped unless allowed; the demo works as a newcomer
 * would try it; `/tracker.js` is cacheable and revalidates.
 */
import http from 'node:http';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../server/src/identity/demo-users.ts';
import { devToken, eventually } from '../helpers/hub.ts';
import { hostPage, identities, openApp, pageviews, presence, sleep } from './tracker-harness.ts';
import { useTrackerRig } from './tracker-rig.ts';

/** Notes the window's keys before the tracker loads, to compare after. */
const BEFORE = '<script>window.__before = Object.keys(window)</script>';

const addedGlobals = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const before = (window as unknown as { __before: string[] }).__before;
    return Object.keys(window).filter((k) => !before.includes(k) && k !== '__before');
  });

describe('tracker → hub: installation', () => {
  const rig = useTrackerRig({ HEARTBEAT_INTERVAL_MS: '5000', FLUSH_INTERVAL_MS: '100' });

  it('without a token or with a bad one: no error, no output, one global, nothing stored', async () => {
    const { host, hub, browser } = rig;
    const ids = await identities(hub, 'quiet');
    // A real token with a broken signature, and a string that is no token at all.
    const forged = ids.userToken.slice(0, -4) + (ids.userToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const token of [null, 'not-a-token', forged]) {
      const { page, problems } = await openApp(browser, host, hostPage(hub.url, token, { head: BEFORE }));
      // Long enough for a connection attempt, its refusal and the one renewal attempt.
      await sleep(1_500);
      expect(await addedGlobals(page), `token ${token}`).toEqual(['activityHub']);
      expect(await page.evaluate(() => Object.keys(window.activityHub!))).toEqual(['identify', 'flush', 'stop']);
      // The refused renewal is a 401 the browser itself reports; the tracker says nothing.
      const unexpected = problems.filter(
        (p) =>
          token === null ||
          p !== 'error: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
      );
      expect(unexpected, `token ${token}`).toEqual([]);
      expect(hub.hub.io.of('/track').sockets.size).toBe(0);
      await page.close();
    }
    expect(await pageviews(hub, ids)).toEqual([]);
  });

  it('drops the query string unless allowed, in urls and referrers', async () => {
    const { host, hub, browser } = rig;
    const ids = await identities(hub, 'query');
    const kept = hostPage(hub.url, ids.userToken, { config: { allowQuery: ['tab'] } });
    const { page } = await openApp(browser, host, kept, '/app?tab=2&secret=s3cr3t#part');
    await page.evaluate(() => history.pushState({}, '', '/app/next?tab=3&email=a@b.example'));
    await eventually(async () => (await pageviews(hub, ids)).length === 2);
    await page.close({ runBeforeUnload: true });
    const { page: plain } = await openApp(browser, host, hostPage(hub.url, ids.userToken), '/other?token=abc&tab=1');
    const items = await eventually(async () => {
      const list = await pageviews(hub, ids);
      return list.length === 3 ? list : undefined;
    });
    await plain.close({ runBeforeUnload: true });
    expect(items.map((p) => [p.path, p.url, p.referrer])).toEqual([
      ['/app?tab=2', `${host.url}/app?tab=2`, ''],
      ['/app/next?tab=3', `${host.url}/app/next?tab=3`, `${host.url}/app?tab=2`],
      ['/other', `${host.url}/other`, ''],
    ]);
    expect(JSON.stringify(items)).not.toMatch(/secret|s3cr3t|email|token=/);
  });

  it('the demo: sign-in, three nav links, page views with their paths and titles', async () => {
    const { hub, browser } = rig;
    const user = DEMO_USERS.find((u) => u.role === 'location')!;
    const admin = DEMO_USERS.find((u) => u.role === 'agency' && u.agencyId === user.agencyId)!;
    const ids = { agencyId: admin.agencyId, userToken: '', agencyToken: await devToken(hub.url, admin) };
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => problems.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    await page.goto(`${hub.url}/demo/`);
    await expect.poll(() => page.textContent('#status')).toBe(`Tracking ${user.name}.`);
    await eventually(async () => (await pageviews(hub, ids)).length === 1);
    for (const [i, name] of ['Contacts', 'Opportunities', 'Calendar'].entries()) {
      await page.getByRole('link', { name }).click();
      await eventually(async () => (await pageviews(hub, ids)).length === i + 2);
    }
    // Live: the user is on the last page now.
    const live = await eventually(async () => (await presence(hub, ids)).find((e) => e.path === '/demo/calendar'));
    expect(live).toMatchObject({ userId: user.userId, title: 'Demo CRM · Calendar', state: 'active' });
    await page.close({ runBeforeUnload: true });

    const items = await eventually(async () => {
      const list = await pageviews(hub, ids);
      return list.every((p) => p.endedAt) ? list : undefined;
    });
    expect(items.map((p) => [p.path, p.title, p.endReason])).toEqual([
      ['/demo/', 'Demo CRM · Home', 'navigate'],
      ['/demo/contacts', 'Demo CRM · Contacts', 'navigate'],
      ['/demo/opportunities', 'Demo CRM · Opportunities', 'navigate'],
      ['/demo/calendar', 'Demo CRM · Calendar', 'leave'],
    ]);
    expect(new Set(items.map((p) => p.userId))).toEqual(new Set([user.userId]));
    expect(new Set(items.map((p) => p.sessionId)).size).toBe(1);
    expect(problems).toEqual([]);
  });

  it('GET /tracker.js: JavaScript with an ETag and a Cache-Control, 304 on If-None-Match', async () => {
    const { hub } = rig;
    const first = await get(`${hub.url}/tracker.js`);
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/javascript/);
    expect(first.headers['cache-control']).toMatch(/max-age=\d+/);
    const etag = first.headers.etag;
    expect(etag).toBeTruthy();
    expect(first.body.length).toBeGreaterThan(1_000);
    const again = await get(`${hub.url}/tracker.js`, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expect((await get(`${hub.url}/tracker.js`, { 'if-none-match': '"something-else"' })).status).toBe(200);
  });
});

/**
 * A plain GET. (`fetch` is no good here: with a hand-set If-None-Match the Fetch standard adds
 * `Cache-Control: no-cache`, which rightly makes any server answer 200.)
 */
function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}
