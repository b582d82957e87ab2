import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMING, type UserStats } from '@activity-hub/protocol';
import { ROLLUP_BUCKET_MS, floorToBucket } from '../../../server/src/domain/rollup-keys.ts';
import { apiGet, devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';

const DAY = 86_400_000;
const TOL = TIMING.engagedToleranceMs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestHub;
beforeAll(async () => {
  t = await startHub({ FLUSH_INTERVAL_MS: '20' });
});
afterAll(async () => {
  await t.stop();
});

async function userEngaged(agencyId: string): Promise<number> {
  const boss = await devToken(t.url, { userId: 'boss', role: 'agency', agencyId });
  const from = new Date(Date.now() - 8 * DAY).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const r = await apiGet<{ items: UserStats[] }>(t.url, `/api/v1/users?from=${from}&to=${to}`, boss);
  expect(r.status).toBe(200);
  return r.body.items.reduce((n, u) => n + u.engagedMs, 0);
}

async function attacker(agencyId: string) {
  const token = await devToken(t.url, { userId: 'mallory', role: 'location', agencyId, locationId: 'l' });
  return FakeTracker.connect(t.url, token);
}

/** The reproduction: a page view 7 days old, then 7 heartbeats of a day each, ages descending. */
async function backdate(tr: FakeTracker): Promise<void> {
  const pv = tr.pageview('/forged', { ageMs: 7 * DAY });
  expect((await tr.send(pv)).ok).toBe(true);
  for (let i = 6; i >= 0; i--) {
    await sleep(470);
    expect((await tr.send({ ...tr.heartbeat(pv.id as string, DAY), ageMs: i * DAY })).ok).toBe(true);
  }
}

describe('backdated engaged time (hole 1)', () => {
  it('(a) one tab: credits at most the wall time since the hub first heard from it, plus the replay window', async () => {
    const agencyId = `bd-${randomUUID()}`;
    const tr = await attacker(agencyId);
    const started = Date.now();
    await backdate(tr);
    const wall = Date.now() - started;
    const credited = await userEngaged(agencyId);
    console.warn(`[figure] backdating repro: wall ${wall} ms, credited ${credited} ms (before the fix: ${7 * 24} h)`);
    expect(credited).toBeLessThanOrEqual(wall + TIMING.replayWindowMs + TOL);
    tr.close();
  });

  it('(b) many tabs of one user: never more engaged time than a rollup bucket is long, in any bucket', async () => {
    const agencyId = `bd-many-${randomUUID()}`;
    const tabs = await Promise.all(Array.from({ length: 6 }, () => attacker(agencyId)));
    const started = Date.now();
    await Promise.all(tabs.map((tr) => backdate(tr)));
    const ended = Date.now();
    const credited = await userEngaged(agencyId);
    // The evidence lies in [started − window, ended]: every bucket it touches holds ≤ 15 min.
    const buckets = (floorToBucket(ended) - floorToBucket(started - TIMING.replayWindowMs)) / ROLLUP_BUCKET_MS + 1;
    console.warn(`[figure] 6 backdating tabs of one user: credited ${credited} ms over ≤ ${buckets} bucket(s)`);
    expect(credited).toBeLessThanOrEqual(buckets * ROLLUP_BUCKET_MS);
    for (const tr of tabs) tr.close();
  });

  it('an honest replay after a 3-minute outage keeps all its time', async () => {
    const agencyId = `bd-honest-${randomUUID()}`;
    const token = await devToken(t.url, { userId: 'ada', role: 'location', agencyId, locationId: 'l' });
    const tr = await FakeTracker.connect(t.url, token);
    // The page loaded while the hub was unreachable; its outbox holds the page view and a heartbeat every 15 s.
    const pv = tr.pageview('/offline', { ageMs: 180_000 });
    const beats = Array.from({ length: 12 }, (_, i) => ({
      ...tr.heartbeat(pv.id as string, 15_000),
      ageMs: 165_000 - i * 15_000,
    }));
    expect((await tr.send(pv)).ok).toBe(true);
    for (const hb of beats) expect((await tr.send(hb)).ok).toBe(true);
    expect(await userEngaged(agencyId)).toBe(180_000);
    tr.close();
  });
});
