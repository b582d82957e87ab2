/**
 * The limiter on its own: token buckets with an injected clock, the idle sweep and the size
 * bound, and two Redis-backed limiters (a real redis-server) reconciling one budget.
 */
import { readFileSync } from 'node:fs';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_BUDGETS } from '@activity-hub/protocol';
import { loadConfig, ConfigError } from '../../../server/src/config.ts';
import { MemoryRateLimiter } from '../../../server/src/storage/memory-rate-limiter.ts';
import { userKey } from '../../../server/src/domain/rate-limiter.ts';
import { RedisRateLimiter } from '../../../server/src/storage/redis-rate-limiter.ts';
import { RedisServer } from '../../helpers/redis-server.ts';

const budgets = { ...RATE_BUDGETS, events: { perSecond: 10, burst: 5 } };

describe('memory buckets', () => {
  it('grants the burst, refills at the rate, and answers how long to wait', () => {
    let now = 0;
    const l = new MemoryRateLimiter(budgets, { now: () => now, sweepMs: 0 });
    for (let i = 0; i < 5; i++) expect(l.take('events', 'k')).toBe(0);
    expect(l.take('events', 'k')).toBeCloseTo(100);
    now += 100;
    expect(l.take('events', 'k')).toBe(0);
    expect(l.take('events', 'other')).toBe(0);
    expect(l.refused.events).toBe(1);
  });

  it('sweeps full buckets away and keeps at most maxKeys', () => {
    let now = 0;
    const l = new MemoryRateLimiter(budgets, { now: () => now, sweepMs: 0, maxKeys: 3 });
    for (const k of ['a', 'b', 'c', 'd']) l.take('events', k);
    expect(l.size).toBe(3);
    now += 1_000;
    l.sweep();
    expect(l.size).toBe(0);
  });

  it('escapes key parts', () => {
    expect(userKey('a', 'b:c')).not.toBe(userKey('a:b', 'c'));
  });

  it("README's table of budgets lists every budget with its rate and burst", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `(\w+)` +\|[^|]+\| ([\d.]+)\/s +\| (\d+) +\|/gm)];
    const documented = Object.fromEntries(
      rows.map(([, name, perSecond, burst]) => [name, { perSecond: Number(perSecond), burst: Number(burst) }]),
    );
    expect(documented).toEqual(RATE_BUDGETS);
  });

  it('reads overrides from RATE_LIMITS and names a bad value', () => {
    const c = loadConfig({ RATE_LIMITS: '{"rest":{"perSecond":1}}' });
    expect(c.RATE_LIMITS.rest).toEqual({ perSecond: 1, burst: RATE_BUDGETS.rest.burst });
    expect(c.RATE_LIMITS.events).toEqual(RATE_BUDGETS.events);
    expect(() => loadConfig({ RATE_LIMITS: '{"nope":{}}' })).toThrow(ConfigError);
    expect(() => loadConfig({ RATE_LIMITS: 'x' })).toThrow(/RATE_LIMITS/);
  });
});

describe('Redis reconciliation', () => {
  let redis: RedisServer;
  const clients: RedisClientType[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.quit()));
    await redis?.stop();
  });

  it('two instances share one budget after a sync, and a Redis restart only costs a round', async () => {
    const connect = async () => {
      const c = createClient({ url: redis.url }) as RedisClientType;
      c.on('error', () => {});
      await c.connect();
      clients.push(c);
      return c;
    };
    const slow = { ...budgets, events: { perSecond: 1, burst: 50 } };
    const a = new RedisRateLimiter(await connect(), slow, { syncMs: 60_000 });
    const b = new RedisRateLimiter(await connect(), slow, { syncMs: 60_000 });
    let granted = 0;
    for (let i = 0; i < 40; i++) if (a.take('events', 'u') === 0) granted++;
    expect(granted).toBe(40);
    await a.sync();
    // B sees the key for the first time: it learns the global level at its first sync.
    expect(b.take('events', 'u')).toBe(0);
    await b.sync();
    let more = 0;
    for (let i = 0; i < 40; i++) if (b.take('events', 'u') === 0) more++;
    expect(more).toBeLessThanOrEqual(10);
    await redis.restart();
    await new Promise((r) => setTimeout(r, 500));
    await a.sync(); // NOSCRIPT (or a fresh key): reloads the script on the next round
    await a.sync();
    await Promise.all([a.close(), b.close()]);
  });
});
