import type { RedisClientType } from 'redis';
import { MemoryRateLimiter, type Bucket } from './memory-rate-limiter.ts';
import type { BudgetName, Budgets, RateLimiter } from '../domain/rate-limiter.ts';

/**
 * Adds `cost` tokens' worth of time to a key's GCRA "theoretical arrival time" and answers the
 * debt: how many milliseconds until the bucket is full again (burst − debt·rate tokens are
 * left). Redis's own clock, so instances with skewed clocks agree. Cost 0 only reads.
 * KEYS[1]: the key; ARGV: cost, milliseconds per token.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local cost = tonumber(ARGV[1])
if cost > 0 then
  tat = tat + math.ceil(cost * tonumber(ARGV[2]))
  redis.call('SET', KEYS[1], tat, 'PX', tat - now + 1000)
end
return tat - now
`;

const redisKey = (budget: BudgetName, key: string) => `ah:rl:${budget}:${key}`;

export interface RedisRateLimiterOptions {
  /** How often local spending is pushed to Redis and the shared level read back. */
  syncMs: number;
  maxKeys?: number;
  onError?: (err: unknown) => void;
}

/**
 * Budgets shared by every instance. Decisions stay local and synchronous (a token bucket per
 * key in memory), and every `syncMs` one pipelined script call per key used since the last
 * round adds what this instance granted to the key's total in Redis and reads the total back;
 * each instance then lowers its local level to what is left globally. So a budget holds
 * across instances within one sync interval, with no Redis round trip per event. When Redis
 * is down, the local buckets still limit each instance on its own.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly local: MemoryRateLimiter;
  private readonly timer: NodeJS.Timeout;
  private sha: string | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly redis: RedisClientType,
    private readonly budgets: Budgets,
    private readonly opts: RedisRateLimiterOptions,
  ) {
    this.local = new MemoryRateLimiter(budgets, { maxKeys: opts.maxKeys, reconciled: true });
    this.timer = setInterval(() => void this.sync(), opts.syncMs).unref();
  }

  get size(): number {
    return this.local.size;
  }

  get refused(): Readonly<Record<BudgetName, number>> {
    return this.local.refused;
  }

  take(budget: BudgetName, key: string, cost = 1): number {
    return this.local.take(budget, key, cost);
  }

  /** One reconciliation round; a round still running makes this one a no-op. */
  sync(): Promise<void> {
    this.inFlight ??= this.round().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async round(): Promise<void> {
    const batch: { budget: BudgetName; key: string; bucket: Bucket; cost: number }[] = [];
    this.local.drainActive((budget, key, bucket) => {
      batch.push({ budget, key, bucket, cost: bucket.pending });
      bucket.pending = 0;
    });
    if (batch.length === 0 || !this.redis.isReady) return;
    try {
      this.sha ??= await this.redis.scriptLoad(SCRIPT);
      const sha = this.sha;
      // Issued in one tick, node-redis writes them as one pipeline.
      const replies = await Promise.allSettled(
        batch.map(({ budget, key, cost }) =>
          this.redis.evalSha(sha, {
            keys: [redisKey(budget, key)],
            arguments: [String(cost), String(1000 / this.budgets[budget].perSecond)],
          }),
        ),
      );
      const now = this.local.now();
      replies.forEach((r, i) => {
        const { budget, bucket } = batch[i]!;
        if (r.status === 'rejected') {
          // NOSCRIPT after a Redis restart: load the script again next round.
          if (String(r.reason).includes('NOSCRIPT')) this.sha = null;
          return;
        }
        const { perSecond, burst } = this.budgets[budget];
        const left = burst - (Number(r.value) * perSecond) / 1000 - bucket.pending;
        this.local.refill(bucket, perSecond, burst, now);
        if (left < bucket.tokens) bucket.tokens = left;
      });
      const failed = replies.find((r) => r.status === 'rejected');
      if (failed) this.opts.onError?.((failed as PromiseRejectedResult).reason);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.local.close();
    await this.sync().catch(() => {});
  }
}
