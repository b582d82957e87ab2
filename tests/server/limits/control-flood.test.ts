/**
 * Control events are throttled (issue 10, hole 4): 5,000 `auth` events a second on one socket,
 * on `/track` or `/live`, or 5,000 `sync` requests a second on `/live`, are refused past the
 * user's small budgets, and another tenant's acks keep their latency meanwhile. The flood runs
 * in a child process, bounded in count and time; the hub runs with Redis, as in production.
 * The machine may be shared: latency is compared with a baseline measured in the same run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_BUDGETS } from '@activity-hub/protocol';
import { flood, type FloodOptions } from '../../helpers/flood.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { RedisServer } from '../../helpers/redis-server.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { signHubToken } from '../access/sockets.ts';

let redis: RedisServer;
let t: TestHub;
let victim: FakeTracker;
let victimPv: string;

beforeAll(async () => {
  redis = await RedisServer.start();
  t = await startHub({ REDIS_URL: redis.url, FLUSH_INTERVAL_MS: '20' });
  const token = await signHubToken({ sub: 'u-victim', agencyId: 'ag-victim', locationId: 'loc-1', role: 'location' });
  victim = await FakeTracker.connect(t.url, token);
  const pv = victim.pageview('/steady');
  expect((await victim.send(pv)).ok).toBe(true);
  victimPv = pv.id;
}, 60_000);
afterAll(async () => {
  victim?.close();
  await t?.stop();
  await redis?.stop();
});

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

/** The victim's ack latencies, one heartbeat every 20 ms, until `until` resolves. */
async function sample(until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const out: number[] = [];
  while (!done) {
    const started = performance.now();
    const ack = await victim.send(victim.heartbeat(victimPv, 0), 20_000);
    out.push(performance.now() - started);
    expect(ack.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
  }
  return out;
}

const cases: {
  name: string;
  namespace: FloodOptions['namespace'];
  event: string;
  budget: keyof typeof RATE_BUDGETS;
}[] = [
  { name: 'auth on /track', namespace: '/track', event: 'auth', budget: 'renew' },
  { name: 'auth on /live', namespace: '/live', event: 'auth', budget: 'renew' },
  { name: 'sync on /live', namespace: '/live', event: 'sync', budget: 'sync' },
];

describe('a flood of control events on one socket', () => {
  it.each(cases)(
    '$name: 5,000/s are refused past the budget; another tenant keeps its ack latency',
    async (c) => {
      const token = await signHubToken({
        sub: `u-${c.event}`,
        agencyId: `ag-flood-${c.namespace.slice(1)}`,
        locationId: null,
        role: 'agency',
      });
      const baseline = await sample(new Promise((r) => setTimeout(r, 2_000)));
      const seconds = 3;
      const run = flood({
        url: t.url,
        namespace: c.namespace,
        token,
        event: c.event,
        args: c.event === 'auth' ? [token] : [],
        perSecond: 5_000,
        seconds,
      });
      const during = await sample(run);
      const result = await run;
      const b = RATE_BUDGETS[c.budget];
      const granted = result.acks.ok ?? 0;
      console.warn(
        `${c.name}: sent ${result.sent}, acks ${JSON.stringify(result.acks)}, byes ${result.byes}; victim p99 ${p99(baseline).toFixed(1)} ms before, ${p99(during).toFixed(1)} ms during`,
      );
      expect(result.sent).toBeGreaterThan(5_000);
      expect(granted).toBeLessThanOrEqual(b.burst + b.perSecond * (seconds + 3));
      // Refused, and a socket that keeps going after hundreds of refusals is disconnected.
      expect(result.acks.rate_limited ?? 0).toBeGreaterThan(0);
      expect(granted).toBeLessThan(result.sent / 10);
      // The other tenant is not stalled (before the budgets: 2.5–3 s p99 during an auth flood, on a
      // shared machine whose baseline p99 was 70–140 ms). Generous, since that machine is noisy.
      expect(p99(during)).toBeLessThan(Math.max(5 * p99(baseline), p99(baseline) + 1_000));
    },
    60_000,
  );
});
