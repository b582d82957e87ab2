import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, devToken, eventually, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import type { Page, PageviewItem } from '@activity-hub/protocol';

let t: TestHub;
let token: string;
let agencyToken: string;
const user = { userId: 'u-ada', name: 'Ada', role: 'location' as const, agencyId: 'ag-1', locationId: 'loc-1' };

beforeAll(async () => {
  t = await startHub({ FLUSH_INTERVAL_MS: '50' });
  token = await devToken(t.url, user, { scope: 'track' });
  agencyToken = await devToken(t.url, { userId: 'boss', role: 'agency', agencyId: 'ag-1' });
});
afterAll(async () => {
  await t.stop();
});

async function pageviews(filter = ''): Promise<PageviewItem[]> {
  const r = await apiGet<Page<PageviewItem>>(t.url, `/api/v1/pageviews?limit=500${filter}`, agencyToken);
  expect(r.status).toBe(200);
  return r.body.items;
}

describe('/track namespace', () => {
  it('sends settings from the hub on connect', async () => {
    const tr = await FakeTracker.connect(t.url, token);
    await eventually(() => tr.settings);
    expect(tr.settings).toMatchObject({ heartbeatIntervalMs: 15_000, idleTimeoutMs: 60_000 });
    tr.close();
  });

  it('stores a page view once and acks the same event 100 times', async () => {
    const tr = await FakeTracker.connect(t.url, token);
    const pv = tr.pageview('/dup');
    const acks = await Promise.all(Array.from({ length: 100 }, () => tr.send(pv)));
    expect(acks.every((a) => a.ok)).toBe(true);
    const hb = tr.heartbeat(pv.id, 1_000);
    const hbAcks = await Promise.all(Array.from({ length: 100 }, () => tr.send(hb)));
    expect(hbAcks.every((a) => a.ok)).toBe(true);
    const items = (await pageviews()).filter((p) => p.id === pv.id);
    expect(items).toHaveLength(1);
    expect(items[0]!.engagedMs).toBeLessThanOrEqual(1_000);
    tr.close();
  });

  it('clamps engaged time to the wall time the hub saw pass', async () => {
    const tr = await FakeTracker.connect(t.url, token);
    const pv = tr.pageview('/clamp');
    expect((await tr.send(pv)).ok).toBe(true);
    // Claims an hour one moment after the page view started.
    expect((await tr.send(tr.heartbeat(pv.id, 3_600_000))).ok).toBe(true);
    const [item] = (await pageviews()).filter((p) => p.id === pv.id);
    expect(item!.engagedMs).toBeLessThan(3_000);
    tr.close();
  });

  it('refuses malformed, negative and foreign events with clear codes and keeps running', async () => {
    const tr = await FakeTracker.connect(t.url, token);
    const pv = tr.pageview('/bad');
    expect((await tr.send(pv)).ok).toBe(true);
    const bad = [
      null,
      'x',
      { type: 'nope' },
      { ...tr.heartbeat(pv.id, -5) },
      { ...tr.heartbeat(pv.id, 10), extra: 1 },
      { ...tr.pageview('/p'), url: 'x'.repeat(5_000) },
      { ...tr.heartbeat(pv.id, 10), id: 'not-a-uuid' },
    ];
    for (const b of bad) {
      const ack = await tr.send(b);
      expect(ack).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    }
    const unknown = await tr.send(tr.heartbeat('00000000-0000-4000-8000-000000000000', 10));
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await tr.send(tr.heartbeat(pv.id, 10))).ok).toBe(true);
    tr.close();
  });

  it('stores events under the token identity, never the body', async () => {
    const tr = await FakeTracker.connect(t.url, token);
    const pv = { ...tr.pageview('/spoof'), agencyId: 'ag-2', userId: 'victim' };
    // Strict schemas refuse unknown fields outright.
    expect(await tr.send(pv)).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    const clean = tr.pageview('/spoof');
    expect((await tr.send(clean)).ok).toBe(true);
    const [item] = (await pageviews()).filter((p) => p.id === clean.id);
    expect(item).toMatchObject({ agencyId: 'ag-1', userId: 'u-ada', locationId: 'loc-1' });
    tr.close();
  });

  it('ends the previous page view at the next one and on leave', async () => {
    const tr = await FakeTracker.connect(t.url, token);
    const a = tr.pageview('/a');
    expect((await tr.send(a)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const b = tr.pageview('/b', { referrer: 'https://app.example.com/a' });
    expect((await tr.send(b)).ok).toBe(true);
    expect((await tr.send(tr.leave(b.id, 200, 'unload'))).ok).toBe(true);
    const items = await pageviews();
    const pa = items.find((p) => p.id === a.id)!;
    const pb = items.find((p) => p.id === b.id)!;
    expect(pa.endReason).toBe('navigate');
    expect(pb.endReason).toBe('leave');
    expect(pb.engagedMs).toBeLessThanOrEqual(200);
    tr.close();
  });

  it('rate limits a noisy socket with rate_limited', async () => {
    const tr = await FakeTracker.connect(t.url, token);
    const pv = tr.pageview('/noisy');
    await tr.send(pv);
    // More than the user's whole burst (RATE_BUDGETS.events), at once. Past 50 refusals in a
    // row the hub says goodbye and disconnects, so the last acks never come.
    const acks = await Promise.allSettled(Array.from({ length: 600 }, () => tr.send(tr.heartbeat(pv.id, 0), 5_000)));
    const refused = acks.find((a) => a.status === 'fulfilled' && !a.value.ok && a.value.error.code === 'rate_limited');
    expect(refused).toMatchObject({ value: { ok: false, error: { retryAfterMs: expect.any(Number) } } });
    expect(tr.byes).toContainEqual(expect.objectContaining({ code: 'rate_limited', reconnect: true }));
    tr.close();
  });

  it('refuses a handshake without a token, with a bad one, or with a token in the query', async () => {
    await expect(FakeTracker.connect(t.url, '')).rejects.toMatchObject({ data: { code: 'token_missing' } });
    await expect(FakeTracker.connect(t.url, 'garbage')).rejects.toMatchObject({ data: { code: 'token_invalid' } });
    const { io } = await import('socket.io-client');
    const s = io(`${t.url}/track`, {
      query: { token },
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
    });
    const err = await new Promise<{ data?: unknown }>((r) => s.once('connect_error', r));
    expect(err.data).toMatchObject({ code: 'token_in_query' });
    s.close();
  });
});
