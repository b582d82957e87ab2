/**
 * The set-up every end-to-end tracker scenario shares: a host server (the platform's app), the
 * hub trusting its origin, and Chromium, started before a `describe` and closed after it; plus
 * the steps the scenarios repeat inside their tests (open a tracked page, close the tab, wait
 * for the ended page views). Kept apart from tracker-harness.ts, which holds the pure helpers.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { PageviewItem } from '../../protocol/src/index.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { eventually, startHub, type TestHub } from '../helpers/hub.ts';
import {
  hostPage,
  identities,
  openApp,
  pageStart,
  pageviews,
  requireBuiltTracker,
  startHostServer,
  type HostServer,
  type Identities,
} from './tracker-harness.ts';

/** What `useTrackerRig`'s beforeAll fills in; `hub` may be replaced by a test (a restart). */
export interface TrackerRig {
  host: HostServer;
  hub: TestHub;
  browser: TestBrowser;
}

/**
 * Registers the beforeAll/afterAll of a tracker scenario. `env` goes to `startHub` on top of
 * `TRACKER_ORIGINS` (the host server's origin, only known once it listens). Read the fields
 * inside hooks and tests only: they are empty until beforeAll has run.
 */
export function useTrackerRig(env: Record<string, string>): TrackerRig {
  const rig = {} as TrackerRig;
  beforeAll(async () => {
    requireBuiltTracker();
    rig.host = await startHostServer();
    [rig.hub, rig.browser] = await Promise.all([startHub({ TRACKER_ORIGINS: rig.host.url, ...env }), launchBrowser()]);
  });
  afterAll(async () => {
    // Optional chaining: a failed beforeAll leaves some of them unset.
    await rig.browser?.close();
    await rig.hub?.stop();
    await rig.host?.close();
  });
  return rig;
}

/** A tracked user's visit to /app on a page marked with when the tracker started. */
export interface Visit {
  ids: Identities;
  page: Page;
  problems: string[];
  /** When the tracker started (epoch ms): the ground truth of the engaged clock's start. */
  t0: number;
}

/** Fresh identities in agency `agencyId`, and their tracked page open at /app. */
export async function startVisit(rig: TrackerRig, agencyId: string): Promise<Visit> {
  const ids = await identities(rig.hub, agencyId);
  const html = hostPage(rig.hub.url, ids.userToken, { mark: true });
  const { page, problems } = await openApp(rig.browser, rig.host, html);
  return { ids, page, problems, t0: await pageStart(page) };
}

/** Stops the scripted input, then closes the tab as a user does (pagehide); resolves with when. */
export async function closeTab(page: Page, stopInput: () => Promise<void>): Promise<number> {
  await stopInput();
  const closedAt = Date.now();
  await page.close({ runBeforeUnload: true });
  return closedAt;
}

/** Waits until the agency has exactly `count` page views, all ended; oldest first. */
export function endedPageviews(hub: TestHub, ids: Identities, count: number): Promise<PageviewItem[]> {
  return eventually(async () => {
    const items = await pageviews(hub, ids);
    return items.length === count && items.every((p) => p.endedAt !== null) ? items : undefined;
  }, 10_000);
}
