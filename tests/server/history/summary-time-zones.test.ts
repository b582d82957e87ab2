import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '@activity-hub/protocol';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { getJson, insertPageviews, tokenFor } from './fixtures.ts';
import { DATA } from './tz-data.ts';

/**
 * Known answers, computed by hand from the zone rules (not by the code under test): bucket
 * edges across DST changes and month ends in zones with whole, half and quarter hour offsets.
 * Each zone's page views live in their own agency so the scenarios cannot disturb each other.
 */
let t: TestHub;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await startHub();
  await insertPageviews(t, DATA);
  for (const a of new Set(DATA.map((d) => d.agencyId as string)))
    tokens[a] = await tokenFor(t, 'boss', { agencyId: a });
});
afterAll(() => t?.stop());

async function summary(agency: string, query: Record<string, string>): Promise<Summary> {
  const res = await getJson<Summary>(t, '/summary', tokens[agency] as string, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
const edges = (s: Summary) => s.buckets.map((b) => [b.start, b.end]);
/** Page views/users per bucket, e.g. `2/2 3/2 1/1`. */
const counts = (s: Summary) => s.buckets.map((b) => `${b.pageviews}/${b.users}`).join(' ');

describe('summary calendar buckets', () => {
  it('New York days across spring forward: a 23-hour day, widened range, distinct totals', async () => {
    const s = await summary('ny', { from: '2026-03-07T12:00:00Z', to: '2026-03-09T10:00:00Z', tz: 'America/New_York' });
    expect(edges(s)).toEqual([
      ['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z'],
      ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
      ['2026-03-09T04:00:00.000Z', '2026-03-10T04:00:00.000Z'],
    ]);
    expect(counts(s)).toBe('2/2 3/2 1/1');
    expect(s.buckets.map((b) => b.engagedMs)).toEqual([3_000, 12_000, 6_000]);
    expect([s.from, s.to]).toEqual(['2026-03-07T05:00:00.000Z', '2026-03-10T04:00:00.000Z']);
    expect(s.totals).toEqual({ pageviews: 6, engagedMs: 21_000, users: 3 });
    expect(s.previous).toEqual({
      from: '2026-03-04T05:00:00.000Z',
      to: '2026-03-07T05:00:00.000Z',
      pageviews: 1,
      engagedMs: 7,
      users: 1,
    });
  });

  it('New York week of fall back: 169 hours, Sunday and Monday starts', async () => {
    const sunday = await summary('nyfall', {
      from: '2026-11-01T04:00:00Z',
      to: '2026-11-08T05:00:00Z',
      tz: 'America/New_York',
      granularity: 'week',
      weekStart: 'sunday',
    });
    expect(edges(sunday)).toEqual([['2026-11-01T04:00:00.000Z', '2026-11-08T05:00:00.000Z']]);
    expect(counts(sunday)).toBe('4/3');
    expect(sunday.previous).toMatchObject({
      from: '2026-10-25T04:00:00.000Z',
      to: '2026-11-01T04:00:00.000Z',
      pageviews: 1,
      users: 1,
    });
    const monday = await summary('nyfall', {
      from: '2026-11-01T04:00:00Z',
      to: '2026-11-08T05:00:00Z',
      tz: 'America/New_York',
      granularity: 'week',
    });
    expect(edges(monday)).toEqual([
      ['2026-10-26T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
      ['2026-11-02T05:00:00.000Z', '2026-11-09T05:00:00.000Z'],
    ]);
    expect(counts(monday)).toBe('4/3 2/1');
    const day = await summary('nyfall', {
      from: '2026-11-01T04:00:00Z',
      to: '2026-11-01T05:00:00Z',
      tz: 'America/New_York',
    });
    expect(edges(day)).toEqual([['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']]);
    expect(counts(day)).toBe('3/3');
  });

  it('Berlin months around spring forward, and the 23-hour day', async () => {
    const s = await summary('berlin', {
      from: '2026-03-15T00:00:00Z',
      to: '2026-04-15T00:00:00Z',
      tz: 'Europe/Berlin',
      granularity: 'month',
    });
    expect(edges(s)).toEqual([
      ['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z'],
      ['2026-03-31T22:00:00.000Z', '2026-04-30T22:00:00.000Z'],
    ]);
    expect(counts(s)).toBe('3/2 1/1');
    expect(s.previous).toMatchObject({
      from: '2025-12-31T23:00:00.000Z',
      to: '2026-02-28T23:00:00.000Z',
      pageviews: 2,
      users: 2,
    });
    const d = await summary('berlin', {
      from: '2026-03-29T12:00:00Z',
      to: '2026-03-29T13:00:00Z',
      tz: 'Europe/Berlin',
    });
    expect(edges(d)).toEqual([['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']]);
    expect(counts(d)).toBe('1/1');
  });

  it('Adelaide (+10:30 -> +9:30): month edge and the 25-hour day DST ends', async () => {
    const m = await summary('adelaide', {
      from: '2026-03-20T00:00:00Z',
      to: '2026-04-10T00:00:00Z',
      tz: 'Australia/Adelaide',
      granularity: 'month',
    });
    expect(edges(m)).toEqual([
      ['2026-02-28T13:30:00.000Z', '2026-03-31T13:30:00.000Z'],
      ['2026-03-31T13:30:00.000Z', '2026-04-30T14:30:00.000Z'],
    ]);
    expect(counts(m)).toBe('1/1 4/3');
    const d = await summary('adelaide', {
      from: '2026-04-04T13:30:00Z',
      to: '2026-04-05T14:30:00Z',
      tz: 'Australia/Adelaide',
    });
    expect(edges(d)).toEqual([['2026-04-04T13:30:00.000Z', '2026-04-05T14:30:00.000Z']]);
    expect(counts(d)).toBe('2/1');
  });

  it('Kolkata (+5:30) months and Kathmandu (+5:45) Monday and Sunday weeks', async () => {
    const k = await summary('kolkata', {
      from: '2026-03-10T00:00:00Z',
      to: '2026-03-11T00:00:00Z',
      tz: 'Asia/Kolkata',
      granularity: 'month',
    });
    expect(edges(k)).toEqual([['2026-02-28T18:30:00.000Z', '2026-03-31T18:30:00.000Z']]);
    expect(counts(k)).toBe('2/1');
    expect(k.previous).toMatchObject({
      from: '2026-01-31T18:30:00.000Z',
      to: '2026-02-28T18:30:00.000Z',
      pageviews: 1,
    });
    const w = await summary('kathmandu', {
      from: '2026-03-02T00:00:00Z',
      to: '2026-03-05T00:00:00Z',
      tz: 'Asia/Kathmandu',
      granularity: 'week',
    });
    expect(edges(w)).toEqual([['2026-03-01T18:15:00.000Z', '2026-03-08T18:15:00.000Z']]);
    expect(counts(w)).toBe('2/1');
    expect(w.previous).toMatchObject({
      from: '2026-02-22T18:15:00.000Z',
      to: '2026-03-01T18:15:00.000Z',
      pageviews: 1,
    });
    const sun = await summary('kathmandu', {
      from: '2026-03-02T00:00:00Z',
      to: '2026-03-05T00:00:00Z',
      tz: 'Asia/Kathmandu',
      granularity: 'week',
      weekStart: 'sunday',
    });
    expect(edges(sun)).toEqual([['2026-02-28T18:15:00.000Z', '2026-03-07T18:15:00.000Z']]);
    expect(counts(sun)).toBe('2/2');
  });

  it('includes empty buckets and answers UTC by default', async () => {
    const s = await summary('kolkata', { from: '2026-03-30', to: '2026-04-03' });
    expect(s.tz).toBe('UTC');
    expect(edges(s).map(([a]) => a)).toEqual([
      '2026-03-30T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-04-01T00:00:00.000Z',
      '2026-04-02T00:00:00.000Z',
    ]);
    expect(counts(s)).toBe('0/0 2/2 0/0 0/0');
  });
});
