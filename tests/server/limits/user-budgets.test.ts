/**
 * Rate budgets per user and per token (issue 10, hole 3): every socket of a user and /collect
 * spend one budget; REST spends a budget per token; an honest outbox replay still passes.
 * Real socket.io over TCP against an in-process hub; every flood is bounded in count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_BUDGETS, type Ack, type CollectResult } from '@activity-hub/protocol';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { signHubToken, type Identity } from '../access/sockets.ts';

let t: TestHub;
const open: { close(): void }[] = [];
const keep = <T extends { close(): void }>(x: T): T => (open.push(x), x);
// The default bursts, with slower refills than the defaults, so that a busy test machine's
// slowness cannot refill a bucket during a flood and hide the limit.
const events = { ...RATE_BUDGETS.events, perSecond: 5 };
const rest = { ...RATE_BUDGETS.rest, perSecond: 2 };

beforeAll(async () => {
  t = await startHub({ FLUSH_INTERVAL_MS: '50', RATE_LIMITS: JSON.stringify({ events, rest }) });
});
afterAll(async () => {
  for (const x of open) x.close();
  await t?.stop();
});

const who = (sub: string, agencyId = 'ag-limits'): Identity => ({
  sub,
  agencyId,
  locationId: 'loc-1',
  role: 'location',
});
const refused = (a: Ack) => !a.ok && a.error.code === 'rate_limited';

/** Connects `n` trackers with one token, each with a stored page view. */
async function tabs(token: string, n: number): Promise<{ tr: FakeTracker; pv: string }[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const tr = keep(await FakeTracker.connect(t.url, token));
      const pv = tr.pageview('/budget');
      expect((await tr.send(pv)).ok).toBe(true);
      return { tr, pv: pv.id };
    }),
  );
}

/**
 * Sends `perTab` heartbeats on every tab at once; the acks. A socket refused 50 times in a row
 * is disconnected by the hub, and its unanswered events count as refused.
 */
async function flood(ts: { tr: FakeTracker; pv: string }[], perTab: number): Promise<Ack[]> {
  const settled = await Promise.allSettled(
    ts.flatMap(({ tr, pv }) => Array.from({ length: perTab }, () => tr.send(tr.heartbeat(pv, 0), 5_000))),
  );
  return settled.map((s) =>
    s.status === 'fulfilled' ? s.value : { ok: false, error: { code: 'rate_limited', message: 'disconnected' } },
  );
}

async function collect(
  token: string,
  body: unknown[],
): Promise<{ status: number; retryAfter: string | null; json: unknown }> {
  const res = await fetch(`${t.url}/api/v1/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ token, events: body }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: await res.json() };
}

describe('one budget per user, over every socket and /collect', () => {
  it('20 sockets with one token together get one user budget, not 20', async () => {
    const token = await signHubToken(who('u-twenty'));
    const ts = await tabs(token, 20);
    const started = performance.now();
    // 900 events; 20 per-socket budgets would take them all. 45 per socket stays under the 50
    // refusals in a row that disconnect a socket: a disconnect would also lose the acks of its
    // events still waiting for their flush, and those were granted and stored.
    const acks = await flood(ts, 45);
    const seconds = (performance.now() - started) / 1000;
    const granted = acks.filter((a) => !refused(a)).length;
    // 20 page views + what the user's bucket holds and refills while the flood ran.
    expect(granted).toBeLessThanOrEqual(events.burst + events.perSecond * (seconds + 1));
    expect(granted).toBeGreaterThanOrEqual(events.burst - 20);
    const first = acks.find(refused) as Extract<Ack, { ok: false }>;
    expect(first.error.retryAfterMs).toBeGreaterThan(0);
  });

  it('/collect spends the same budget as the sockets, for any token of the user', async () => {
    const [sockToken, beaconToken] = await Promise.all([signHubToken(who('u-shared')), signHubToken(who('u-shared'))]);
    const ts = await tabs(sockToken, 4);
    const acks = await flood(ts, 120);
    expect(acks.some(refused)).toBe(true);
    const spentAt = performance.now();
    // The sockets spent the budget: a beacon of the same user, with another token, gets only
    // what refilled since; the rest is refused without being parsed.
    const tr = ts[0]!.tr;
    const r = await collect(
      beaconToken,
      Array.from({ length: 50 }, () => tr.heartbeat(ts[0]!.pv, 0)),
    );
    const refilled = events.perSecond * ((performance.now() - spentAt) / 1000 + 1);
    if (r.status === 200) {
      const results = (r.json as CollectResult).results;
      expect(results.filter((x) => x.code !== 'rate_limited').length).toBeLessThanOrEqual(refilled);
      expect(results.at(-1)).toMatchObject({ ok: false, code: 'rate_limited' });
      return;
    }
    expect(r.status).toBe(429);
    expect((r.json as { error: { code: string; retryAfterMs: number } }).error).toMatchObject({ code: 'rate_limited' });
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another user of the same agency is untouched.
    const other = await signHubToken(who('u-bystander'));
    const ok = await collect(other, [tr.pageview('/elsewhere')]);
    expect(ok.status).toBe(200);
    expect((ok.json as CollectResult).results).toEqual([{ id: expect.any(String), ok: true }]);
  });

  it('/collect alone is capped by the user budget (page views stored from one token in a bounded burst)', async () => {
    const token = await signHubToken(who('u-beacon'));
    const tr = keep(await FakeTracker.connect(t.url, token));
    let stored = 0;
    let refusedStatus = 0;
    const started = performance.now();
    // 12 batches of 50 page views: 600 events, more than the burst.
    for (let i = 0; i < 12; i++) {
      const r = await collect(
        token,
        Array.from({ length: 50 }, (_, j) => tr.pageview(`/b/${i}/${j}`)),
      );
      if (r.status === 429) refusedStatus++;
      else stored += (r.json as CollectResult).results.filter((x) => x.ok).length;
    }
    const seconds = (performance.now() - started) / 1000;
    expect(stored).toBeLessThanOrEqual(events.burst + events.perSecond * (seconds + 1));
    expect(refusedStatus).toBeGreaterThan(0);
    // The socket of the same user is refused too now.
    expect(refused(await tr.send(tr.pageview('/after')))).toBe(true);
  }, 60_000);

  it('keys escape their parts: agency a + user b:c and agency a:b + user c have separate budgets', async () => {
    const [t1, t2] = await Promise.all([signHubToken({ ...who('b:c', 'a') }), signHubToken({ ...who('c', 'a:b') })]);
    const spent = await flood(await tabs(t1, 4), 120);
    expect(spent.some(refused)).toBe(true);
    const [other] = await tabs(t2, 1);
    expect((await flood([other!], 10)).every((a) => a.ok)).toBe(true);
  });
});

describe('honest traffic passes', () => {
  it('two tabs of one user each replay a full outbox (200 events) after an outage: nothing refused', async () => {
    const token = await signHubToken(who('u-replay'));
    const ts = await tabs(token, 2);
    // 2 page views + 2 × 198 heartbeats: two outboxes of 200, all at once.
    const acks = await flood(ts, 198);
    expect(acks.filter(refused)).toHaveLength(0);
    expect(acks.every((a) => a.ok)).toBe(true);
  });
});

describe('REST: a budget per token', () => {
  it('one token is refused with 429 and Retry-After past its budget; another token of the same user is not', async () => {
    const [a, b] = await Promise.all([signHubToken(who('u-rest')), signHubToken(who('u-rest'))]);
    const n = rest.burst + 80;
    const get = (token: string) =>
      fetch(`${t.url}/api/v1/presence`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
        status: r.status,
        retryAfter: r.headers.get('retry-after'),
        body: (await r.json()) as { error?: { code: string; retryAfterMs?: number } },
      }));
    const replies = await Promise.all(Array.from({ length: n }, () => get(a)));
    const limited = replies.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 200).length).toBeLessThan(n);
    expect(limited[0]!.body.error).toMatchObject({ code: 'rate_limited', retryAfterMs: expect.any(Number) });
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await get(b)).status).toBe(200);
  });

  it('/me spends the same per-token budget', async () => {
    const token = await signHubToken(who('u-me'));
    const n = rest.burst + 80;
    const statuses = await Promise.all(
      Array.from({ length: n }, () =>
        fetch(`${t.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => {
          await r.body?.cancel();
          return r.status;
        }),
      ),
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(n);
  });
});
