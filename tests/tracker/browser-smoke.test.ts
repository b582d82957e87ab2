/**
 * The built tracker in real Chromium against a fake hub (socket.io + the HTTP routes the
 * tracker calls). The full product end-to-end runs against the real hub in tests/browser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// Also brings the tracker's `window.activityHub` declaration into scope.
import type { ActivityHubApi } from '../../tracker/src/index.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { page, startFakeHub, type FakeHub, type Received } from './fake-hub.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function waitFor<T>(fn: () => T | undefined | false, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const of = (events: Received[], type: string) => events.filter((e) => e.type === type);

describe.skipIf(!existsSync(CHROMIUM))('tracker bundle in Chromium', () => {
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
      // Everything the tracker sent passes the protocol's strict schemas.
      expect(h.invalid).toEqual([]);
    }
  });

  async function hub(opts?: Parameters<typeof startFakeHub>[1]): Promise<FakeHub> {
    const h = await startFakeHub(js, opts);
    hubs.push(h);
    return h;
  }
  /** A page that records console output and page errors. */
  async function open(url: string): Promise<{ p: Page; logs: string[] }> {
    const p = await browser.newPage();
    pages.push(p);
    const logs: string[] = [];
    // The browser's own network-error lines (favicon 404, a refused refresh) are not the tracker's.
    p.on('console', (m) => m.text().startsWith('Failed to load resource') || logs.push(m.text()));
    p.on('pageerror', (e) => logs.push('pageerror: ' + e.message));
    await p.goto(url);
    return { p, logs };
  }

  it('page views (first load, SPA routes, hash routes), sanitised URLs, ordered ids and seq, one global, silent', async () => {
    const h = await hub();
    h.pages['/app'] = page(
      'data-token="good" data-allow-query="tab"',
      '',
      '<script>window.__before = Object.keys(window)</script>',
    );
    const { p, logs } = await open(h.url + '/app?tab=2&secret=1#section');
    const first = await waitFor(() => of(h.events, 'pageview')[0]);
    expect(first).toMatchObject({ url: h.url + '/app?tab=2', path: '/app?tab=2', title: 'Start', referrer: '' });
    expect(h.handshakes[0]).toMatchObject({ token: 'good', transport: 'websocket' });

    // Vue Router style: replaceState with the same URL, then pushState; the title comes later.
    const t0 = Date.now();
    await p.evaluate(() => {
      history.replaceState({ scroll: 1 }, '', location.href);
      history.pushState({}, '', '/contacts?secret=9');
      setTimeout(() => (document.title = 'Contacts'), 20);
    });
    const second = await waitFor(() => of(h.events, 'pageview')[1]);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(second).toMatchObject({
      url: h.url + '/contacts',
      path: '/contacts',
      title: 'Contacts',
      referrer: first.url,
    });
    expect(of(h.events, 'leave')).toEqual([expect.objectContaining({ pageviewId: first.id, reason: 'navigate' })]);

    await p.evaluate(() => (location.hash = '#/deals/7'));
    const third = await waitFor(() => of(h.events, 'pageview')[2]);
    expect(third.path).toBe('/contacts#/deals/7');
    await p.evaluate(() => (location.hash = '#top'));
    expect((await waitFor(() => of(h.events, 'pageview')[3])).path).toBe('/contacts');
    await p.evaluate(() => history.back());
    expect((await waitFor(() => of(h.events, 'pageview')[4])).path).toBe('/contacts#/deals/7');
    // An anchor on the same page is not a route change.
    await p.evaluate(() => history.replaceState({}, '', location.pathname + location.hash));
    await sleep(300);
    expect(of(h.events, 'pageview')).toHaveLength(5);

    await p.evaluate(() => window.activityHub!.flush());
    const beat = await waitFor(() => of(h.events, 'heartbeat').find((e) => e.state === 'active'));
    expect(beat.pageviewId).toBe(of(h.events, 'pageview')[4]!.id);
    expect(beat.engagedMs).toBeGreaterThanOrEqual(0);

    expect(h.events.map((e) => e.seq)).toEqual(h.events.map((_, i) => i));
    expect(new Set(h.events.map((e) => e.tabId)).size).toBe(1);
    for (const e of h.events) {
      expect(e.id).toMatch(UUID);
      expect(e.ageMs).toBeGreaterThanOrEqual(0);
    }
    const globals = await p.evaluate(() =>
      Object.keys(window).filter(
        (k) => !(window as unknown as { __before: string[] }).__before.includes(k) && k !== '__before',
      ),
    );
    expect(globals).toEqual(['activityHub']);
    expect(Object.keys(await p.evaluate(() => window.activityHub!))).toEqual(['identify', 'flush', 'stop']);
    expect(logs).toEqual([]);
  });

  it('heartbeats while active, reports idle at the threshold and active again on input', async () => {
    const h = await hub();
    h.settings = { heartbeatIntervalMs: 5_000, idleTimeoutMs: 5_000 };
    h.pages['/a'] = page('data-token="good" data-debug');
    const { p } = await open(h.url + '/a');
    await waitFor(() => of(h.events, 'pageview')[0]);
    await p.mouse.move(10, 10);
    const idle = await waitFor(() => of(h.events, 'heartbeat').find((e) => e.state === 'idle'), 9_000);
    const before = of(h.events, 'heartbeat').filter((e) => e.seq < idle.seq);
    const total = [...before, idle].reduce((n, e) => n + (e.engagedMs as number), 0);
    expect(total).toBeGreaterThan(4_000);
    expect(total).toBeLessThan(7_500);
    await sleep(1_500);
    expect(of(h.events, 'heartbeat').at(-1)).toBe(idle); // nothing while idle
    await p.mouse.move(50, 50);
    const back = await waitFor(
      () => of(h.events, 'heartbeat').find((e) => e.state === 'active' && e.seq > idle.seq),
      1_500,
    );
    expect(back.engagedMs).toBeLessThan(500);
    expect(await p.evaluate(() => (window.activityHub as Required<ActivityHubApi>).debugState())).toMatchObject({
      state: 'active',
      connected: true,
    });
  }, 20_000);

  it('hidden: flushes at once (socket and beacon), stops the clock, resumes when visible', async () => {
    const h = await hub();
    h.pages['/a'] = page('data-token="good"');
    const { p } = await open(h.url + '/a');
    await waitFor(() => h.sockets[0]?.connected && of(h.events, 'pageview')[0]);
    const setVisibility = (state: string) =>
      p.evaluate((s) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await sleep(1_000);
    await setVisibility('hidden');
    const hidden = await waitFor(() => of(h.events, 'heartbeat').find((e) => e.state === 'hidden'), 1_000);
    await waitFor(() => h.collected.find((e) => e.id === hidden.id), 1_000);
    await sleep(1_500);
    await setVisibility('visible');
    const back = await waitFor(() => of(h.events, 'heartbeat').find((e) => e.state === 'active'), 1_000);
    await sleep(1_000);
    await p.evaluate(() => window.activityHub!.flush());
    const last = await waitFor(() => of(h.events, 'heartbeat').find((e) => e.seq > back.seq));
    const total = of(h.events, 'heartbeat').reduce((n, e) => n + (e.engagedMs as number), 0);
    expect(total).toBeGreaterThan(1_800);
    expect(total).toBeLessThan(2_800);
    expect(last.state).toBe('active');
  });

  it('keeps unacked events across a reload (same ids and seq), and beacons them at pagehide', async () => {
    const h = await hub();
    h.reply = () => 'drop';
    h.pages['/a'] = page('data-token="good"');
    h.pages['/b'] = page('data-token="good"');
    const { p } = await open(h.url + '/a');
    await sleep(500);
    h.reply = () => null;
    // A link-like navigation (page.goto would send no referrer).
    await Promise.all([p.waitForURL('**/b'), p.evaluate(() => (location.href = '/b'))]);
    const [pv1, leave, pv2] = await waitFor(() => h.events.length >= 3 && h.events);
    expect(pv1).toMatchObject({ type: 'pageview', path: '/a', seq: 0 });
    expect(leave).toMatchObject({ type: 'leave', reason: 'unload', pageviewId: pv1!.id, seq: 1 });
    expect(pv2).toMatchObject({ type: 'pageview', path: '/b', seq: 2, tabId: pv1!.tabId, referrer: h.url + '/a' });
    // The same two events went by beacon at pagehide, same ids.
    expect(h.collected.map((e) => e.id)).toEqual([pv1!.id, leave!.id]);
  });

  it('retries rate_limited events, drops refused ones, and keeps order', async () => {
    const h = await hub();
    let limited = 2;
    h.reply = (e) =>
      e.type === 'pageview' && limited-- > 0
        ? { ok: false, error: { code: 'rate_limited', message: 'slow' } }
        : e.type === 'heartbeat' && e.seq === 1
          ? { ok: false, error: { code: 'validation_failed', message: 'no' } }
          : null;
    h.pages['/a'] = page('data-token="good"');
    const { p } = await open(h.url + '/a');
    await waitFor(() => h.events[0], 8_000);
    await p.evaluate(() => {
      window.activityHub!.flush(); // seq 1: refused
      window.activityHub!.flush(); // seq 2
    });
    await waitFor(() => h.events[1]);
    // A later heartbeat (a state change or one falling due on a loaded machine) may follow;
    // what matters is what was stored first, that seq 1 never was, and that order holds.
    const stored = h.events.map((e) => [e.type, e.seq] as const);
    expect(stored.slice(0, 2)).toEqual([
      ['pageview', 0],
      ['heartbeat', 2],
    ]);
    expect(stored.some(([, seq]) => seq === 1)).toBe(false);
    expect(stored.every(([, seq], i) => i === 0 || seq > stored[i - 1]![1])).toBe(true);
  }, 15_000);

  it('does nothing without a token: no connection, no console', async () => {
    const h = await hub();
    h.pages['/a'] = page('');
    const { p, logs } = await open(h.url + '/a');
    await sleep(800);
    expect(h.handshakes).toEqual([]);
    expect(await p.evaluate(() => Object.keys(window.activityHub ?? {}))).toEqual(['identify', 'flush', 'stop']);
    // identify() starts tracking later.
    await p.evaluate(() => window.activityHub!.identify('good'));
    await waitFor(() => of(h.events, 'pageview')[0]);
    expect(logs).toEqual([]);
  });

  it('a bad token: one renewal attempt, then silence', async () => {
    const h = await hub();
    h.pages['/a'] = page('data-token="bad"');
    const { logs } = await open(h.url + '/a');
    await sleep(2_500);
    expect(h.handshakes.length).toBe(1);
    expect(h.refreshes).toBe(1);
    expect(logs).toEqual([]);
  });

  it('an expired but renewable token: refresh, then connect with the new token', async () => {
    const h = await hub();
    h.refreshable.add('stale');
    h.pages['/a'] = page('data-token="stale"');
    await open(h.url + '/a');
    await waitFor(() => of(h.events, 'pageview')[0]);
    expect(h.handshakes.map((x) => x.token)).toEqual(['stale', 'renewed-1']);
  });

  it('identify() re-authenticates the open socket; bye with token_expired renews and reconnects', async () => {
    const h = await hub();
    h.tokens.add('good2');
    h.pages['/a'] = page('data-token="good"');
    const { p } = await open(h.url + '/a');
    await waitFor(() => h.sockets[0]?.connected);
    await p.evaluate(() => window.activityHub!.identify('good2'));
    await waitFor(() => h.authEvents[0]);
    expect(h.authEvents).toEqual(['good2']);
    h.bye({ code: 'token_expired', message: 'expired', reconnect: false });
    await waitFor(() => h.handshakes.length === 2, 5_000);
    expect(h.handshakes[1]!.token).toBe('renewed-1');
    expect(h.refreshes).toBe(1);
  });

  it('bye with reconnect moves to the next endpoint', async () => {
    const a = await hub();
    const b = await hub();
    a.pages['/a'] = page(`data-token="good" data-endpoint="${a.url},${b.url}"`);
    const { p } = await open(a.url + '/a');
    await waitFor(() => of(a.events, 'pageview')[0]);
    a.bye({ code: 'shutdown', message: 'restarting', reconnect: true });
    await waitFor(() => b.sockets[0]?.connected, 5_000);
    await p.evaluate(() => window.activityHub!.flush());
    await waitFor(() => of(b.events, 'heartbeat')[0]);
  });

  it('HighLevel Custom JS: window.activityHubConfig with appId, exposeSessionDetails appearing late, SSO exchange', async () => {
    const h = await hub();
    h.pages['/hl'] = `<!doctype html><html><head><title>HL</title><script>
      window.activityHubConfig = { appId: 'app-1', endpoints: ['${h.url}'] };
      setTimeout(() => { window.exposeSessionDetails = async (id) => 'encrypted-context-for-' + id; }, 700);
      const s = document.createElement('script'); s.src = '${h.url}/tracker.js'; document.head.appendChild(s);
    </script></head><body></body></html>`;
    const { logs } = await open(h.url + '/hl');
    await waitFor(() => of(h.events, 'pageview')[0], 5_000);
    expect(h.ssoPayloads).toEqual(['encrypted-context-for-app-1']);
    expect(h.handshakes.map((x) => x.token)).toEqual(['sso-token']);
    expect(logs).toEqual([]);
  });

  it('falls back to long-polling when websockets fail', async () => {
    const h = await hub({ transports: ['polling'] });
    h.pages['/a'] = page('data-token="good"');
    await open(h.url + '/a');
    await waitFor(() => of(h.events, 'pageview')[0], 8_000);
    expect(h.handshakes.at(-1)!.transport).toBe('polling');
  });

  it('stop() sends a leave, disconnects, and restores history', async () => {
    const h = await hub();
    h.pages['/a'] = page('data-token="good"');
    const { p } = await open(h.url + '/a');
    await waitFor(() => h.sockets[0]?.connected);
    const same = await p.evaluate(() => {
      const push = history.pushState;
      window.activityHub!.stop();
      return history.pushState !== push && history.pushState === History.prototype.pushState;
    });
    expect(same).toBe(true);
    await waitFor(() => of(h.events, 'leave')[0] ?? of(h.collected, 'leave')[0]);
    await waitFor(() => !h.sockets[0]!.connected);
    await p.evaluate(() => history.pushState({}, '', '/elsewhere'));
    await sleep(300);
    expect(of(h.events, 'pageview')).toHaveLength(1);
  });
});
