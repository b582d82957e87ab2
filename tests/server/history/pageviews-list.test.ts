import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, PageviewItem } from '@activity-hub/protocol';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { getJson, insertPageviews, tokenFor } from './fixtures.ts';

/** `GET /pageviews`: newest first, cursor pages that stay stable while data arrives. */
let t: TestHub;
let token: string;
const BASE = Date.UTC(2026, 5, 1, 12);

beforeAll(async () => {
  t = await startHub();
  token = await tokenFor(t, 'boss');
  // 30 page views; every three share a start time, so ties must be broken consistently.
  await insertPageviews(
    t,
    Array.from({ length: 30 }, (_, i) => ({
      userId: `u${i % 4}`,
      id: `pv-${String(i).padStart(2, '0')}`,
      startedAt: new Date(BASE + Math.floor(i / 3) * 60_000),
    })),
  );
});
afterAll(() => t?.stop());

const page = (q: Record<string, string>) => getJson<Page<PageviewItem>>(t, '/pageviews', token, q);

describe('GET /pageviews', () => {
  it('pages newest first, ties by id, without gaps or repeats, while newer data arrives', async () => {
    const seen: PageviewItem[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const res = await page({ limit: '7', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      // New activity lands at the head between page requests; it must not shift later pages.
      await insertPageviews(t, [
        { userId: 'late', id: `new-${round++}`, startedAt: new Date(BASE + 3_600_000 + round) },
      ]);
    } while (cursor);
    const ids = seen.map((i) => i.id);
    const expected = Array.from({ length: 30 }, (_, i) => `pv-${String(i).padStart(2, '0')}`).sort((a, b) => {
      const ta = Math.floor(Number(a.slice(3)) / 3);
      const tb = Math.floor(Number(b.slice(3)) / 3);
      return tb - ta || (b < a ? -1 : 1);
    });
    expect(ids).toEqual(expected);
    expect(seen[0]).toMatchObject({
      agencyId: 'acme',
      path: '/contacts',
      endedAt: expect.any(String),
      engagedMs: 1_000,
    });
    expect(seen[0]).not.toHaveProperty('eventIds');
  });

  it('the first page includes what arrived meanwhile; the last page has no cursor', async () => {
    const first = await page({ limit: '2' });
    expect(first.body.items.map((i) => i.userId)).toEqual(['late', 'late']);
    const all = await page({ limit: '500' });
    expect(all.body.nextCursor).toBeNull();
  });

  it('filters by time range [from, to) on the start', async () => {
    const res = await page({
      from: new Date(BASE + 60_000).toISOString(),
      to: new Date(BASE + 3 * 60_000).toISOString(),
    });
    expect(res.body.items.map((i) => i.id).sort()).toEqual(['pv-03', 'pv-04', 'pv-05', 'pv-06', 'pv-07', 'pv-08']);
  });

  it('filters by user and path', async () => {
    const byUser = await page({ userId: 'u1', limit: '500' });
    expect(byUser.body.items.every((i) => i.userId === 'u1')).toBe(true);
    expect(byUser.body.items).toHaveLength(8);
    expect((await page({ path: '/nowhere' })).body.items).toEqual([]);
  });
});
