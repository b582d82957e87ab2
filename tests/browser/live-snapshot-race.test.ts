/**
 * The hub joins a dashboard to its rooms before it reads the snapshot, so deltas can reach the
 * dashboard before the (older) snapshot does. The dashboard must not let that snapshot undo
 * them: a tab that left meanwhile stays gone, a tab that arrived meanwhile stays shown.
 * The test holds the snapshot frame back (Playwright's WebSocket routing) to open that window.
 */
import type { DevLogin } from '@activity-hub/protocol';
import type { WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startHub, type TestHub } from '../helpers/hub.ts';
import { devLogin, expectConnected, openTracker, rowOf, serveTrackedPages, shownUsers, until } from './live-helpers.ts';

const boss: DevLogin = { userId: 's-boss', name: 'Sam Boss', role: 'agency', agencyId: 'race', locationId: null };
const tim: DevLogin = { userId: 's-tim', name: 'Tim Leaves', role: 'location', agencyId: 'race', locationId: 's-1' };
const uma: DevLogin = { userId: 's-uma', name: 'Uma Arrives', role: 'location', agencyId: 'race', locationId: 's-1' };

let hub: TestHub;
let browser: TestBrowser;

beforeAll(async () => {
  hub = await startHub({ DISCONNECT_GRACE_MS: '500' });
  browser = await launchBrowser();
  await serveTrackedPages(browser.context, hub.url);
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('live snapshot vs. deltas', () => {
  it('replays deltas that overtook the snapshot', async () => {
    const timPage = await openTracker(browser.context, hub.url, (await devLogin(hub.url, tim)).token, '/t/tim');
    const reply = await devLogin(hub.url, boss);
    const dashboard = await browser.newPage();
    await dashboard.addInitScript((v) => sessionStorage.setItem('activity-hub.session', v), JSON.stringify(reply));

    // Forward every frame, except that the first snapshot waits until released.
    const passed: string[] = [];
    let held: { route: WebSocketRoute; frame: string } | null = null;
    let holding = true;
    await dashboard.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        const frame = typeof m === 'string' ? m : m.toString();
        if (holding && frame.startsWith('42/live,["snapshot"')) {
          held = { route: ws, frame };
          return;
        }
        passed.push(frame);
        ws.send(m);
      });
    });
    await dashboard.goto(`${hub.url}/`);
    const snapshot = (await until(() => held))!;
    expect(snapshot.frame).toContain('"s-tim"');

    // While the snapshot is on its way: Tim leaves and Uma arrives.
    await timPage.close();
    await until(() => passed.some((f) => f.startsWith('42/live,["remove"') && f.includes('"s-tim"')));
    const umaPage = await openTracker(browser.context, hub.url, (await devLogin(hub.url, uma)).token, '/t/uma');
    await until(() => passed.some((f) => f.startsWith('42/live,["upsert"') && f.includes('"s-uma"')));

    holding = false;
    snapshot.route.send(snapshot.frame);
    await expectConnected(dashboard);
    await rowOf(dashboard, uma.userId).waitFor();
    // Give a wrong snapshot every chance to show.
    await new Promise((r) => setTimeout(r, 300));
    expect(await shownUsers(dashboard)).toEqual([uma.userId]);
    expect(await dashboard.getByTestId('count-online').textContent()).toBe('1');
    await umaPage.close();
    await rowOf(dashboard, uma.userId).waitFor({ state: 'detached', timeout: 5_000 });
  });
});
