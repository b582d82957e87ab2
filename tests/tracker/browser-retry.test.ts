/**
 * The built tracker in real Chromium against the fake hub, on what the hub refuses: an outage
 * that answers `unavailable` for longer than any retry count, the hub's retry-after hint, a
 * refusal for good, and a hub over capacity (a handshake error, or a bare HTTP 503).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type {} from '../../tracker/src/index.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { page, startFakeHub, type FakeHub, type Received } from './fake-hub.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const of = (events: Received[], type: string) => events.filter((e) => e.type === type);
async function waitFor<T>(fn: () => T | undefined | false, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(25);
  }
}
const unavailable = (retryAfterMs?: number) => ({
  ok: false as const,
  error: { code: 'unavailable' as const, message: 'database down', retryAfterMs },
});

describe('tracker bundle in Chromium: refusals and outages', () => {
  let dir: string;
  let js: string;
  let browser: TestBrowser;
  const hubs: FakeHub[] = [];
  const pages: Page[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ah-tracker-'));
    execFileSync('node', ['tracker/build.mjs', '--outdir', dir], { cwd: root });
    js = join(dir, 'tracker.js');
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => {});
    for (const h of hubs.splice(0)) {
      await h.close();
      expect(h.invalid).toEqual([]);
    }
  });

  async function hub(): Promise<FakeHub> {
    const h = await startFakeHub(js);
    hubs.push(h);
    return h;
  }
  /** Opens a page; `activityhub:dropped` details are collected in `window.__dropped`. */
  async function open(url: string): Promise<Page> {
    const p = await browser.newPage();
    pages.push(p);
    await p.addInitScript(() => {
      const w = window as unknown as { __dropped: unknown[] };
      w.__dropped = [];
      addEventListener('activityhub:dropped', (e) => w.__dropped.push((e as CustomEvent).detail));
    });
    await p.goto(url);
    return p;
  }
  const droppedIn = (p: Page) => p.evaluate(() => (window as unknown as { __dropped: unknown[] }).__dropped);

  it('an outage answering `unavailable` for far more than 10 retries, while navigating: every page view stored once, in order', async () => {
    const h = await hub();
    h.pages['/app'] = page(
      'data-token="good"',
      '',
      // A short backoff cap (test-only), so that 12 s hold dozens of retries.
      '<script>window.activityHubConfig = { retryMaxMs: 400 }</script>',
    );
    const p = await open(h.url + '/app');
    await waitFor(() => of(h.events, 'pageview')[0]);
    let refusals = 0;
    h.reply = () => (refusals++, unavailable());
    // Six route changes during the outage, one every 2 s.
    const paths: string[] = [];
    for (let i = 1; i <= 6; i++) {
      await p.evaluate((n) => history.pushState({}, '', `/app/r${n}`), i);
      paths.push(`/app/r${i}`);
      await sleep(2_000);
    }
    expect(refusals).toBeGreaterThan(20);
    expect(of(h.events, 'pageview')).toHaveLength(1);
    h.reply = () => null;
    await waitFor(() => of(h.events, 'pageview').length === 7, 5_000);
    await sleep(500);
    expect(of(h.events, 'pageview').map((e) => e.path)).toEqual(['/app', ...paths]);
    // Exactly once each (the fake hub stores every delivery), and in the tab's order.
    const ids = h.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(h.events.map((e) => e.seq)).toEqual([...h.events.map((e) => e.seq)].sort((a, b) => a - b));
    expect(of(h.events, 'leave').map((e) => e.reason)).toEqual(Array(6).fill('navigate'));
    expect(await droppedIn(p)).toEqual([]);
  }, 40_000);

  it("waits for the hub's retryAfterMs before sending again, and nothing else meanwhile", async () => {
    const h = await hub();
    h.pages['/app'] = page('data-token="good"');
    const tries: number[] = [];
    h.reply = () => (tries.push(Date.now()), tries.length === 1 ? unavailable(2_500) : null);
    const p = await open(h.url + '/app');
    // A new event while waiting must not jump the queue or cut the wait short.
    await waitFor(() => tries.length === 1);
    await p.evaluate(() => window.activityHub!.flush());
    await waitFor(() => of(h.events, 'heartbeat')[0], 6_000);
    expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(2_400);
    expect(h.events.map((e) => e.type).slice(0, 2)).toEqual(['pageview', 'heartbeat']);
  });

  it('drops an event refused for good at once and says so with activityhub:dropped', async () => {
    const h = await hub();
    h.pages['/app'] = page('data-token="good"');
    h.reply = (e) =>
      e.type === 'heartbeat' && e.seq === 1 ? { ok: false, error: { code: 'not_found', message: 'unknown' } } : null;
    const p = await open(h.url + '/app');
    await waitFor(() => of(h.events, 'pageview')[0]);
    await p.evaluate(() => window.activityHub!.flush());
    await p.evaluate(() => window.activityHub!.flush());
    await waitFor(() => of(h.events, 'heartbeat')[0]);
    expect(await droppedIn(p)).toEqual([{ reason: 'not_found', events: [expect.objectContaining({ seq: 1 })] }]);
  });

  it('over capacity at the handshake: waits for the hint, then moves to the next endpoint', async () => {
    const a = await hub();
    const b = await hub();
    a.refuse = { code: 'over_capacity', message: 'full', retryAfterMs: 1_500 };
    a.pages['/app'] = page(`data-token="good" data-endpoint="${a.url},${b.url}"`);
    await open(a.url + '/app');
    await waitFor(() => of(b.events, 'pageview')[0], 8_000);
    expect(a.handshakes).toHaveLength(1);
    expect(b.handshakes[0]!.at - a.handshakes[0]!.at).toBeGreaterThanOrEqual(1_400);
    expect(a.events).toEqual([]);
  });

  it("over capacity in engine.io's allowRequest (HTTP 400/403 with the body): waits for the hint, then the next endpoint", async () => {
    const a = await hub();
    const b = await hub();
    a.engineRefusal = { code: 'over_capacity', message: 'full', retryAfterMs: 2_000 };
    a.pages['/app'] = page(
      `data-token="good" data-endpoint="${a.url},${b.url}"`,
      '',
      // Without the hint the first retry would come after at most this cap.
      '<script>window.activityHubConfig = { retryMaxMs: 300 }</script>',
    );
    const p = await open(a.url + '/app');
    const start = await p.evaluate(() => Date.now());
    await waitFor(() => b.handshakes[0], 8_000);
    expect(b.handshakes[0]!.at - start).toBeGreaterThanOrEqual(1_900);
    expect(a.handshakes).toEqual([]);
    await waitFor(() => of(b.events, 'pageview')[0]);
  });

  it('over capacity as a bare HTTP 503: backs off and moves to the next endpoint, then keeps cycling', async () => {
    const a = await hub();
    const b = await hub();
    a.refuse = 503;
    b.refuse = 503;
    a.pages['/app'] = page(
      `data-token="good" data-endpoint="${a.url},${b.url}"`,
      '',
      '<script>window.activityHubConfig = { retryMaxMs: 300 }</script>',
    );
    await open(a.url + '/app');
    // Refused by both, again and again, without giving up.
    await waitFor(() => a.http503 >= 2 && b.http503 >= 2, 10_000);
    b.refuse = null;
    await waitFor(() => of(b.events, 'pageview')[0], 5_000);
    expect(a.handshakes).toEqual([]);
    expect(a.events).toEqual([]);
  });
});
