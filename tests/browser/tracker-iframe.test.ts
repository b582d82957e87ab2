/**
 * Blind spot "iframes": apps such as HighLevel embed frames (Custom Pages, forms, calendars).
 * Focus that moved into a child frame of the tab still counts as engaged while the tab is
 * visible and the idle timeout has not run out: input in a same-origin frame is heard and keeps
 * the clock going; input in a cross-origin frame is invisible, so the idle clock runs out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/hub.ts';
import {
  duplicateIds,
  hostPage,
  identities,
  measured,
  near,
  openApp,
  pageStart,
  sleep,
  startHostServer,
  storedPageviews,
  type HostServer,
} from './tracker-harness.ts';
import { closeTab, endedPageviews, useTrackerRig, type TrackerRig } from './tracker-rig.ts';

const IDLE_MS = 5_000;
const FRAME = '<!doctype html><html><body><input id="field" style="width:250px"></body></html>';

/**
 * Some browsers report `document.hasFocus()` false in the top document while a child frame
 * has the focus (Chromium reports true): this pins that case, before the tracker loads.
 */
const TOP_LOSES_FOCUS = `<script>{const f = Document.prototype.hasFocus;
  Document.prototype.hasFocus = function () { return (!this.activeElement || this.activeElement.tagName !== 'IFRAME') && f.call(this); };}</script>`;

/** Opens /app with a frame at `src`; resolves with the page and when the tracker started. */
async function openWithFrame(rig: TrackerRig, agencyId: string, src: string, head = '') {
  const ids = await identities(rig.hub, agencyId);
  const html = hostPage(rig.hub.url, ids.userToken, {
    mark: true,
    head,
    body: `<iframe id="f" src="${src}" width="300" height="80"></iframe>`,
  });
  const { page, problems } = await openApp(rig.browser, rig.host, html);
  await page.frameLocator('#f').locator('#field').waitFor();
  return { ids, page, problems, t0: await pageStart(page) };
}

/** Types one key a second into the focused field of the frame, `seconds` times. */
async function typeInFrame(page: import('playwright-core').Page, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    await page.keyboard.type('x');
    await sleep(1_000);
  }
}

describe('tracker → hub: focus inside a child frame', () => {
  const rig = useTrackerRig({
    HEARTBEAT_INTERVAL_MS: '5000',
    IDLE_TIMEOUT_MS: String(IDLE_MS),
    FLUSH_INTERVAL_MS: '100',
  });
  // Another loopback origin: the cross-origin frame's.
  let other: HostServer;
  beforeAll(async () => {
    other = await startHostServer();
    other.html = FRAME;
  });
  afterAll(() => other?.close());

  it('same-origin frame: typing in it for 11 s keeps the whole visit engaged', async () => {
    rig.host.pages['/frame'] = FRAME;
    const { ids, page, problems, t0 } = await openWithFrame(rig, 'frame-same', '/frame');
    await sleep(Math.max(0, 1_000 - (Date.now() - t0)));
    await page.frameLocator('#f').locator('#field').click();
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('IFRAME');
    // Far beyond the idle timeout, with every input inside the frame.
    await typeInFrame(page, 11);
    const closedAt = await closeTab(page, async () => {});
    const [pv] = await endedPageviews(rig.hub, ids, 1);
    const truth = closedAt - t0;
    measured('iframe-same-origin', { engagedMs: pv!.engagedMs, truthMs: truth });
    expect(truth).toBeGreaterThan(2 * IDLE_MS);
    expect(near(pv!.engagedMs, truth), `engaged ${pv!.engagedMs} ms, truth ${truth}`).toBe(true);
    expect(problems).toEqual([]);
  });

  it('cross-origin frame, top document reporting no focus: engaged until the idle timeout after the last input seen', async () => {
    const { ids, page, problems, t0 } = await openWithFrame(rig, 'frame-cross', `${other.url}/frame`, TOP_LOSES_FOCUS);
    await sleep(Math.max(0, 1_500 - (Date.now() - t0)));
    // The last input the top page sees, then into the frame.
    await page.mouse.move(20, 20);
    const lastSeenInput = Date.now();
    await page.frameLocator('#f').locator('#field').click();
    expect(await page.evaluate(() => [document.activeElement?.tagName, document.hasFocus()])).toEqual([
      'IFRAME',
      false,
    ]);
    await typeInFrame(page, 10);
    // Heartbeats went on while focus was in the frame (the state turns idle at the timeout).
    await eventually(async () => duplicateIds(await storedPageviews(rig.hub, ids.agencyId)).all.length, 2_000);
    const closedAt = await closeTab(page, async () => {});
    const [pv] = await endedPageviews(rig.hub, ids, 1);
    const truth = lastSeenInput + IDLE_MS - t0;
    measured('iframe-cross-origin', { engagedMs: pv!.engagedMs, truthMs: truth, visitMs: closedAt - t0 });
    expect(closedAt - t0).toBeGreaterThan(truth + 3_000);
    expect(near(pv!.engagedMs, truth), `engaged ${pv!.engagedMs} ms, truth ${truth}`).toBe(true);
    expect(problems).toEqual([]);
  });
});
