/**
 * Seeded activity for the Activity tab and user page browser tests, with its ground truth:
 * which sessions exist, and what each weekday × hour cell of a user's heatmap must hold.
 */
import type { DevLogin } from '@activity-hub/protocol';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { PageviewDoc } from '../../server/src/storage/models.ts';
import type { TestHub } from '../helpers/hub.ts';
import { buildSessions, insertSessions, type SeededSession } from '../server/history/activity-fixtures.ts';

export const AGENCY = 'act-a';
const MIN = 60_000;
const DAY = 86_400_000;

export const boss: DevLogin = {
  userId: 'boss',
  name: 'Boss Agency',
  role: 'agency',
  agencyId: AGENCY,
  locationId: null,
};
export const ana: DevLogin = {
  userId: 'ana',
  name: 'Ana Location',
  role: 'location',
  agencyId: AGENCY,
  locationId: 'loc-2',
};

/** Markup in every text a user controls: it must show as these characters, never run. */
export const HOSTILE = {
  name: '<img src=x onerror="window.__xss=1">Mallory <b>Bold</b>',
  title: '<script>window.__xss=2</script><i>Quotes</i> & "things"',
  path: '/x/<svg onload="window.__xss=3">',
};

export interface Seed {
  /** Every session of AGENCY, newest first. */
  sessions: SeededSession[];
  pageviews: PageviewDoc[];
}

/** 120 sessions of Ben (loc-1) and Ana (loc-2) over the last five days, one hostile one, and another agency's. */
export async function seedActivity(hub: TestHub): Promise<Seed> {
  const now = Date.now();
  const window = { from: now - 5 * DAY, to: now - 30 * MIN };
  const users = [
    { userId: 'ben', name: 'Ben Location', locationId: 'loc-1' },
    { userId: 'ana', name: 'Ana Location', locationId: 'loc-2' },
  ];
  const ours = buildSessions({ agencyId: AGENCY, users, count: 120, seed: 13, ...window });
  const hostile = buildSessions({
    agencyId: AGENCY,
    users: [{ userId: 'mal', name: HOSTILE.name, locationId: 'loc-1' }],
    count: 1,
    seed: 7,
    from: now - 2 * DAY,
    to: now - DAY,
  });
  for (const pv of hostile[0]!.pageviews) Object.assign(pv, { title: HOSTILE.title, path: HOSTILE.path });
  const theirs = buildSessions({
    agencyId: 'act-b',
    users: [{ userId: 'eve', name: 'Eve Other', locationId: 'loc-9' }],
    count: 10,
    seed: 99,
    ...window,
  });
  await insertSessions(hub, [...ours, ...hostile, ...theirs]);
  const sessions = [...ours, ...hostile].sort((a, b) => b.session.startedAt.getTime() - a.session.startedAt.getTime());
  return { sessions, pageviews: sessions.flatMap((s) => s.pageviews) };
}

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** The seed's heatmap for `userId` in `tz`: "weekday-hour" → page views and engaged ms. */
export function expectedHeatmap(seed: Seed, userId: string, tz: string): Map<string, { pv: number; ms: number }> {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'long', hour: 'numeric', hourCycle: 'h23' });
  const cells = new Map<string, { pv: number; ms: number }>();
  for (const day of WEEKDAYS) for (let h = 0; h < 24; h++) cells.set(`${day}-${h}`, { pv: 0, ms: 0 });
  for (const pv of seed.pageviews.filter((p) => p.userId === userId)) {
    const parts = fmt.formatToParts(pv.startedAt);
    const weekday = parts.find((p) => p.type === 'weekday')!.value.toLowerCase();
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    const cell = cells.get(`${weekday}-${hour}`)!;
    cell.pv += 1;
    cell.ms += pv.engagedMs;
  }
  return cells;
}

/** The heatmap cells the page shows, in the same shape. */
export async function shownHeatmap(page: Page): Promise<Map<string, { pv: number; ms: number }>> {
  const cells = await page
    .getByTestId('heatmap-cell')
    .evaluateAll((els) =>
      els.map((e) => [
        `${e.getAttribute('data-weekday')}-${e.getAttribute('data-hour')}`,
        { pv: Number(e.getAttribute('data-pageviews')), ms: Number(e.getAttribute('data-engaged-ms')) },
      ]),
    );
  return new Map(cells as [string, { pv: number; ms: number }][]);
}

/** Scrolls the window to the bottom until the list says it has everything (no button clicks). */
export async function scrollToEnd(page: Page, list = 'sessions'): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
        return page.getByTestId(`${list}-end`).count();
      },
      { timeout: 20_000, interval: 200 },
    )
    .toBe(1);
}

/** The tab ids of the session rows shown, in order. */
export function shownTabIds(page: Page, within = 'sessions'): Promise<string[]> {
  return page
    .getByTestId(within)
    .getByTestId('session-row')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-tab-id') ?? ''));
}

/** Whether any markup from HOSTILE ran or became elements. */
export function injected(page: Page): Promise<unknown> {
  return page.evaluate(() => ({
    xss: (window as unknown as { __xss?: number }).__xss ?? null,
    elements: document.querySelectorAll('main img, main script, main [onerror], main [onload], main b, main i').length,
  }));
}
