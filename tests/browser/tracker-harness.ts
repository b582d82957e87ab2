/**
 * Shared rig for the end-to-end tracker scenarios: the real hub in-process, the built tracker
 * served by it at /tracker.js, and host pages served from another loopback origin (the
 * platform's app). Ground truth is read back from the hub's API and its database.
 */
import { appendFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { PageviewItem, PresenceSnapshot } from '../../protocol/src/index.ts';
import type { PageviewDoc } from '../../server/src/storage/models.ts';
// Also brings the tracker's `window.activityHub` declaration into scope.
import type {} from '../../tracker/src/index.ts';
import { artifactPath, type TestBrowser } from '../helpers/browser.ts';
import { apiGet, devToken, type TestHub } from '../helpers/hub.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const trackerJs = fileURLToPath(new URL('../../tracker/dist/tracker.js', import.meta.url));

/** The hub serves the built tracker: fail with a clear message when nobody built it. */
export function requireBuiltTracker(): void {
  if (!existsSync(trackerJs)) throw new Error(`${trackerJs} is missing: run \`npm run build -w tracker\` first`);
}

/** A tracked user and an agency user of the same agency (who reads the ground truth back). */
export interface Identities {
  agencyId: string;
  userToken: string;
  agencyToken: string;
}

/**
 * Dev-login tokens for a location user (a tracker's `track` token, as an issuer's backend gets
 * it) and the agency's admin (a dashboard's `read` token), in a fresh agency.
 */
export async function identities(hub: TestHub, agencyId: string): Promise<Identities> {
  const [userToken, agencyToken] = await Promise.all([
    devToken(
      hub.url,
      { userId: `${agencyId}-user`, role: 'location', agencyId, locationId: `${agencyId}-loc` },
      { scope: 'track' },
    ),
    devToken(hub.url, { userId: `${agencyId}-admin`, role: 'agency', agencyId, locationId: null }),
  ]);
  return { agencyId, userToken, agencyToken };
}

export interface PageOptions {
  title?: string;
  /** Extra `window.activityHubConfig` keys, e.g. `{ allowQuery: ['tab'] }`. */
  config?: Record<string, unknown>;
  /** Markup put between the config and the tracker. */
  head?: string;
  /** Note when the tracker started (`pageStart`). */
  mark?: boolean;
  /** Markup put at the end of the body (an iframe, say). */
  body?: string;
}

const START_MARK = '<script>window.__t0 = Date.now()</script>';

/**
 * The HTML of a host page with the tracker installed through `window.activityHubConfig`. With
 * `mark`, an inline script right after the (synchronous) tracker notes when it started
 * (`__t0`, epoch ms): the ground truth for when its clock and first page view started.
 */
export function hostPage(hubUrl: string, token: string | null, o: PageOptions = {}): string {
  const config =
    token === null ? '' : `<script>window.activityHubConfig=${JSON.stringify({ token, ...o.config })}</script>`;
  return `<!doctype html><html><head><title>${o.title ?? 'Start'}</title>${config}${o.head ?? ''}<script src="${hubUrl}/tracker.js"></script>${o.mark ? START_MARK : ''}</head><body><h1>Host app</h1><p>Some text.</p>${o.body ?? ''}</body></html>`;
}

/**
 * The platform's app: another origin on loopback, serving `html` for every path (a SPA shell),
 * as a HighLevel page would load the tracker from the hub. Start the hub with
 * `TRACKER_ORIGINS: host.url`. (Pages fulfilled by `page.route` count as public to Chromium's
 * Local Network Access checks, which then block the socket to the loopback hub.)
 */
export interface HostServer {
  url: string;
  html: string;
  /** Other documents by path (a frame's page, say); every other path gets `html`. */
  pages: Record<string, string>;
  close(): Promise<void>;
}

export async function startHostServer(): Promise<HostServer> {
  const host = { html: '', pages: {} } as HostServer;
  const server = http.createServer((req, res) => {
    // No icon, and no 404 line in the console either.
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(host.pages[req.url ?? ''] ?? host.html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host.close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return host;
}

/** Opens `host.url + path` serving `html`; console messages and page errors land in `problems`. */
export async function openApp(
  browser: TestBrowser,
  host: HostServer,
  html: string,
  path = '/app',
): Promise<{ page: Page; problems: string[] }> {
  host.html = html;
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => problems.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(host.url + path);
  return { page, problems };
}

/**
 * Console lines that Chromium itself writes when the network refuses a connection (the hub is
 * down on purpose); a script cannot prevent them. Everything else stays.
 */
export const withoutNetworkErrors = (problems: string[]): string[] =>
  problems.filter((p) => !/^error: (Failed to load resource: net::|WebSocket connection to '.*' failed: )/.test(p));

/** When the tracker started on a page made with `mark`, epoch ms. */
export const pageStart = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { __t0: number }).__t0);

/**
 * Headless pages are always visible and focused: fake `visibilityState` and dispatch the
 * event, as a browser does when the user switches tabs. Resolves with when it happened (epoch ms).
 */
export function setVisible(page: Page, visible: boolean): Promise<number> {
  return page.evaluate((v) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (v ? 'visible' : 'hidden') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !v });
    document.dispatchEvent(new Event('visibilitychange'));
    return Date.now();
  }, visible);
}

/**
 * Moves the real mouse every `everyMs` until stopped, so the idle threshold never trips.
 * Spaced over a second apart, every move counts (the tracker looks at input at most once a
 * second while active).
 */
export function keepActive(page: Page, everyMs = 1_100): () => Promise<void> {
  let on = true;
  let x = 10;
  let moving: Promise<unknown> = Promise.resolve();
  void (async () => {
    while (on && !page.isClosed()) {
      x = x === 10 ? 200 : 10;
      moving = page.mouse.move(x, 100 + Math.random() * 100).catch(() => {});
      await moving;
      await sleep(everyMs);
    }
  })();
  // Stops at once: only a move in flight is waited for.
  return async () => {
    on = false;
    await moving;
  };
}

/** Page views of the agency, oldest first, as the API shows them. */
export async function pageviews(hub: TestHub, ids: Identities): Promise<PageviewItem[]> {
  const { status, body } = await apiGet<{ items: PageviewItem[] }>(
    hub.url,
    '/api/v1/pageviews?limit=500',
    ids.agencyToken,
  );
  if (status !== 200) throw new Error(`GET /pageviews: ${status}`);
  return body.items.reverse();
}

/** Stored documents of the agency with their dedupe sets, oldest first. */
export async function storedPageviews(hub: TestHub, agencyId: string): Promise<PageviewDoc[]> {
  return hub.hub.db.models.pageviews.find({ agencyId }, { sort: { startedAt: 1 } }).toArray();
}

/** The agency's live presence. */
export async function presence(hub: TestHub, ids: Identities): Promise<PresenceSnapshot['entries']> {
  const { status, body } = await apiGet<PresenceSnapshot>(hub.url, '/api/v1/presence', ids.agencyToken);
  if (status !== 200) throw new Error(`GET /presence: ${status}`);
  return body.entries;
}

/** Every credited event (page view and seq) across the documents, and the ones credited more than once. */
export function duplicateIds(docs: PageviewDoc[]): { all: string[]; duplicates: string[] } {
  const all = docs.flatMap((d) => d.seqs.map((s) => `${d._id}#${s}`));
  return { all, duplicates: all.filter((id, i) => all.indexOf(id) !== i) };
}

/** True when `actual` is within `tol` ms of `expected`. */
export function near(actual: number, expected: number, tol = 1_000): boolean {
  return Math.abs(actual - expected) <= tol;
}

/** Appends a measured figure to test-artifacts/tracker-e2e.jsonl (for reports; never asserted). */
export function measured(scenario: string, figures: Record<string, unknown>): void {
  appendFileSync(
    artifactPath('tracker-e2e.jsonl'),
    JSON.stringify({ scenario, at: new Date().toISOString(), ...figures }) + '\n',
  );
}
