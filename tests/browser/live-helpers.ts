/**
 * Shared pieces of the live-view browser tests: tracker pages on the hub's origin (the real
 * /tracker.js, configured with a hub token) and dashboards signed in as any user.
 */
import type { AuthReply, DevLogin } from '@activity-hub/protocol';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** A tracked page: the hub's real tracker on a page served under `${url}/t/…`. */
const TRACKED_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tracked</title>
<script>
  // When this page started running (its HTML is served by the test, so that fetch is not timed).
  window.pageStart = performance.timeOrigin + performance.now();
  // The title comes from ?title= (the tracker drops query strings), else from the path.
  document.title = new URLSearchParams(location.search).get('title') || 'Page ' + location.pathname.slice(3);
</script>
<script src="/tracker.js"></script>
</head><body><h1>Tracked page</h1></body></html>`;

/** Serves the tracked page for every `${url}/t/…` in this browser context (same origin as the hub). */
export async function serveTrackedPages(context: BrowserContext, url: string): Promise<void> {
  await context.route(`${url}/t/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: TRACKED_PAGE }),
  );
}

/**
 * Runs one tracker page through a fresh hub and browser (in an agency nobody watches), so timed
 * steps measure a warm system rather than first-request costs (module loading, JIT, first
 * database round trips, a first renderer process).
 */
export async function warmUp(context: BrowserContext, url: string): Promise<void> {
  const user: DevLogin = { userId: 'warm-up', name: 'Warm Up', role: 'agency', agencyId: 'warm-up', locationId: null };
  const { token } = await devLogin(url, user);
  const page = await openTracker(context, url, token, '/t/warm-up');
  await until(async () => {
    const res = await fetch(`${url}/api/v1/presence`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { entries: unknown[] }).entries.length > 0;
  }, 10_000);
  await page.close();
}

/**
 * Signs in through the hub's dev login from the hub's own origin, as the dashboard does, and
 * returns the full reply: a `read` token (which may also track, like the demo's).
 */
export async function devLogin(url: string, user: DevLogin): Promise<AuthReply> {
  const res = await fetch(`${url}/api/v1/auth/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: new URL(url).origin },
    body: JSON.stringify(user),
  });
  if (!res.ok) throw new Error(`dev login failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as AuthReply;
}

/** Opens a tracked page as `user` at `path` (e.g. '/t/contacts'). */
export async function openTracker(context: BrowserContext, url: string, token: string, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.addInitScript((t) => {
    (window as unknown as { activityHubConfig: { token: string } }).activityHubConfig = { token: t };
  }, token);
  await page.goto(`${url}${path}`);
  return page;
}

/** An SPA navigation inside a tracked page; resolves with the tracker page's epoch time of the pushState. */
export function navigate(page: Page, path: string, title?: string): Promise<number> {
  return page.evaluate(
    ([p, t]) => {
      history.pushState({}, '', p);
      document.title = t || 'Page ' + p!.slice(3);
      return performance.timeOrigin + performance.now();
    },
    [path, title] as const,
  );
}

/** The key and format client/src/lib/session.svelte.ts restores a session from. */
const SESSION_KEY = 'activity-hub.session';

/** Opens the dashboard already signed in as `user` (the session is put into sessionStorage first). */
export async function openDashboard(
  context: BrowserContext,
  url: string,
  user: DevLogin,
  opts: { width?: number; query?: string } = {},
): Promise<Page> {
  const reply = await devLogin(url, user);
  const page = await context.newPage();
  if (opts.width) await page.setViewportSize({ width: opts.width, height: 800 });
  await page.addInitScript(
    ([key, value]) => {
      if (!sessionStorage.getItem(key!)) sessionStorage.setItem(key!, value!);
    },
    [SESSION_KEY, JSON.stringify(reply)] as const,
  );
  // Live explicitly: a location user's default view is "My activity".
  await page.goto(`${url}/${opts.query ?? '?tab=live'}`);
  await expectConnected(page);
  return page;
}

/** The dashboard's live socket is connected and its first snapshot is shown. */
export async function expectConnected(page: Page, timeout = 10_000): Promise<void> {
  await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout });
  await page.locator('section.list[aria-busy="false"]').waitFor({ timeout });
}

export const rows = (page: Page): Locator => page.getByTestId('presence-row');
export const rowOf = (page: Page, userId: string): Locator =>
  page.locator(`[data-testid="presence-row"][data-user-id="${userId}"]`);

/** The user ids with a row on the dashboard, sorted. */
export async function shownUsers(page: Page): Promise<string[]> {
  const ids = await rows(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-user-id') ?? ''));
  return [...new Set(ids)].sort();
}

/** Parses the row's "time on page" text ("5s", "1m 02s") into seconds. */
export function parseDuration(text: string): number {
  let s = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([dhms])/g))
    s += Number(n) * { d: 86_400, h: 3_600, m: 60, s: 1 }[unit as 'd' | 'h' | 'm' | 's'];
  return s;
}

/** Collects page errors and dialogs, so a test can assert that none happened. */
export function watchPage(page: Page): { errors: string[]; dialogs: string[] } {
  const seen = { errors: [] as string[], dialogs: [] as string[] };
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  return seen;
}

/**
 * Makes the dashboard record the Date-based time each presence path first appears in its DOM
 * (a MutationObserver, so the time is the DOM change's, not when a test happened to look).
 */
export async function recordPathTimes(dashboard: Page): Promise<void> {
  await dashboard.evaluate(() => {
    const firstSeen: Record<string, number> = {};
    (window as unknown as { firstSeen: Record<string, number> }).firstSeen = firstSeen;
    const scan = () => {
      const now = Date.now();
      for (const el of document.querySelectorAll('[data-testid="presence-path"]')) {
        const path = el.textContent ?? '';
        if (!(path in firstSeen)) firstSeen[path] = now;
      }
    };
    scan();
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/** Waits until `path` has appeared in the dashboard (see recordPathTimes); returns when it did. */
export async function pathShownAt(dashboard: Page, path: string, timeout = 5_000): Promise<number> {
  const handle = await dashboard.waitForFunction(
    (p) => (window as unknown as { firstSeen: Record<string, number> }).firstSeen[p],
    path,
    { timeout, polling: 20 },
  );
  return (await handle.jsonValue()) as number;
}

/** Polls `fn` until it returns a truthy value (for values not in the DOM). */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) {
      expect.fail(`condition not met within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
