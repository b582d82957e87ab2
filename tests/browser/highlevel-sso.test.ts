/**
 * The dashboard as a HighLevel Custom Page, in real Chromium: it asks its parent for the user
 * context, accepts the answer only from `window.parent`, exchanges it for a hub token, and gives
 * up with a clear message when the parent never answers.
 */
import CryptoJS from 'crypto-js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startHub, type TestHub } from '../helpers/hub.ts';

const KEY = 'highlevel-shared-secret-for-tests';
let hub: TestHub;
let browser: TestBrowser;

const payload = (fields: Record<string, unknown>, key = KEY): string =>
  CryptoJS.AES.encrypt(JSON.stringify(fields), key).toString();
const agencyUser = {
  userId: 'hl-1',
  companyId: 'hl-agency',
  role: 'admin',
  type: 'agency',
  userName: 'Hana Lee',
  email: 'hana@example.com',
};

/**
 * A stand-in for HighLevel's page: it frames the dashboard, and a sibling frame (another app on
 * the page) tries to answer first with a forged context. `answer` is what the parent sends.
 */
function parentPage(answer: string | null, forged: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>HighLevel</title></head><body>
<iframe id="app" src="/" style="width:1200px;height:700px"></iframe>
<iframe id="other" srcdoc="<script>addEventListener('message', () => {});
  setInterval(() => parent.frames[0].postMessage({ message: 'REQUEST_USER_DATA_RESPONSE', payload: ${JSON.stringify(forged).replace(/"/g, '&quot;')} }, '*'), 50);</script>"></iframe>
<script>
  window.asked = 0;
  addEventListener('message', (e) => {
    if (e.data && e.data.message === 'REQUEST_USER_DATA') {
      window.asked++;
      ${answer === null ? '' : `e.source.postMessage({ message: 'REQUEST_USER_DATA_RESPONSE', payload: ${JSON.stringify(answer)} }, '*');`}
    }
  });
</script></body></html>`;
}

async function open(answer: string | null, forged: string): Promise<Page> {
  const page = await browser.newPage();
  await page.route(`${hub.url}/highlevel`, (r) =>
    r.fulfill({ contentType: 'text/html', body: parentPage(answer, forged) }),
  );
  await page.goto(`${hub.url}/highlevel`);
  return page;
}

beforeAll(async () => {
  [hub, browser] = await Promise.all([startHub({ HIGHLEVEL_SSO_KEY: KEY }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('HighLevel Custom Page sign-in', () => {
  it('signs in with the context from window.parent and ignores a sibling frame', async () => {
    const forged = payload({ ...agencyUser, userId: 'mallory', userName: 'Mallory Forged' });
    const page = await open(payload(agencyUser), forged);
    const app = page.frameLocator('#app');
    await expect.poll(() => app.locator('.user-name').textContent(), { timeout: 15_000 }).toBe('Hana Lee');
    expect(await page.evaluate(() => (window as unknown as { asked: number }).asked)).toBeGreaterThanOrEqual(1);
    await app
      .getByTestId('connection-status')
      .and(app.locator('[data-state="connected"]'))
      .waitFor({ timeout: 10_000 });
    expect(await app.locator('body').textContent()).not.toContain('Mallory');
    // The payload never lands in the URL or storage of the frame.
    const frame = page.frames().find((f) => f.url().startsWith(`${hub.url}/`) && !f.url().includes('highlevel'))!;
    expect(frame.url()).not.toContain('U2FsdGVk');
    expect(
      await frame.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })),
    ).not.toContain('U2FsdGVk');
    await page.close();
  });

  it('gives up with a clear message when HighLevel never answers, and a forged answer does not help', async () => {
    const page = await open(null, payload(agencyUser));
    const app = page.frameLocator('#app');
    await app.getByText('HighLevel did not send the user context', { exact: false }).waitFor({ timeout: 15_000 });
    expect(await app.locator('.user-name').count()).toBe(0);
    await page.close();
  });

  it('refuses a context encrypted with another key', async () => {
    const page = await open(payload(agencyUser, 'some-other-app-secret'), payload(agencyUser, 'x'));
    const app = page.frameLocator('#app');
    await expect.poll(() => app.locator('body').textContent(), { timeout: 15_000 }).toContain('Invalid SSO payload');
    expect(await app.locator('.user-name').count()).toBe(0);
    await page.close();
  });
});
