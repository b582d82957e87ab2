import type { BudgetName, Budgets, RateLimiter } from '../domain/rate-limiter.ts';

/** One key's token bucket. `pending` is what was spent since the last reconciliation. */
export interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, the limiter's clock). */
  at: number;
  pending: number;
  /** Taken from (granted or refused) since the last reconciliation. */
  active: boolean;
}

export interface MemoryRateLimiterOptions {
  /** Milliseconds, monotonic. */
  now?: () => number;
  /** Keys kept per budget; the oldest is dropped beyond it. */
  maxKeys?: number;
  /** How often idle (full) buckets are dropped; 0 turns the sweep off. */
  sweepMs?: number;
  /** True when something reconciles buckets (drainActive): the sweep then keeps unreconciled ones. */
  reconciled?: boolean;
}

/**
 * Token buckets per budget and key, in one Map per budget: no per-socket object, no per-key
 * timer. One sweep drops buckets that are full again (forgetting them loses nothing), and the
 * Maps are bounded: past `maxKeys`, the oldest key goes (it restarts with a full bucket).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly now: () => number;
  readonly refused: Record<BudgetName, number>;
  private readonly maps = new Map<BudgetName, Map<string, Bucket>>();
  private readonly maxKeys: number;
  private readonly reconciled: boolean;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    readonly budgets: Budgets,
    opts: MemoryRateLimiterOptions = {},
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.reconciled = opts.reconciled ?? false;
    const names = Object.keys(budgets) as BudgetName[];
    this.refused = Object.fromEntries(names.map((n) => [n, 0])) as Record<BudgetName, number>;
    for (const n of names) this.maps.set(n, new Map());
    const sweepMs = opts.sweepMs ?? 10_000;
    this.timer = sweepMs > 0 ? setInterval(() => this.sweep(), sweepMs).unref() : null;
  }

  get size(): number {
    let n = 0;
    for (const m of this.maps.values()) n += m.size;
    return n;
  }

  take(budget: BudgetName, key: string, cost = 1): number {
    const b = this.budgets[budget];
    const map = this.maps.get(budget)!;
    const now = this.now();
    let bucket = map.get(key);
    if (bucket) this.refill(bucket, b.perSecond, b.burst, now);
    else {
      if (map.size >= this.maxKeys) map.delete(map.keys().next().value!);
      bucket = { tokens: b.burst, at: now, pending: 0, active: false };
      map.set(key, bucket);
    }
    bucket.active = true;
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      bucket.pending += cost;
      return 0;
    }
    this.refused[budget]++;
    return ((cost - bucket.tokens) * 1000) / b.perSecond;
  }

  /** Brings a bucket up to `now`. */
  refill(bucket: Bucket, perSecond: number, burst: number, now: number): void {
    const t = bucket.tokens + ((now - bucket.at) * perSecond) / 1000;
    bucket.tokens = t < burst ? t : burst;
    bucket.at = now;
  }

  /** Calls `fn` for each bucket taken from since the last call, and clears its `active` mark. */
  drainActive(fn: (budget: BudgetName, key: string, bucket: Bucket) => void): void {
    for (const [name, map] of this.maps) {
      for (const [key, bucket] of map) {
        if (!bucket.active) continue;
        bucket.active = false;
        fn(name, key, bucket);
      }
    }
  }

  /** Drops buckets that have refilled completely and have nothing left to reconcile. */
  sweep(): void {
    const now = this.now();
    for (const [name, map] of this.maps) {
      const { perSecond, burst } = this.budgets[name];
      for (const [key, bucket] of map) {
        if (this.reconciled && (bucket.pending > 0 || bucket.active)) continue;
        this.refill(bucket, perSecond, burst, now);
        if (bucket.tokens >= burst) map.delete(key);
      }
    }
  }

  close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    return Promise.resolve();
  }
}
