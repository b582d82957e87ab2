import { ROLLUP_BUCKET_MS, floorToBucket } from './rollup-keys.ts';

/**
 * Engaged time credited per user and rollup bucket, on this instance's clock, so that one
 * user's time summed over all their tabs never exceeds a bucket's length in any bucket: nobody
 * is engaged for more than 15 minutes in 15 minutes, however many tabs they open or backdate.
 *
 * Time is placed where it happened (the span that ends at the event's time), split across
 * buckets. Spans before `horizonMs` ago are not credited: the ledger forgets older buckets and
 * the tracking service never accepts evidence older than that. Per user it holds a flat array
 * of [bucketStart, ms] pairs for the last few buckets, and `prune` drops idle users.
 */
export class EngagedLedger {
  private readonly users = new Map<string, number[]>();

  constructor(private readonly horizonMs: number) {}

  /** Grants up to `ms` of engaged time ending at `at`; returns how much it granted. */
  grant(userKey: string, ms: number, at: number, now: number): number {
    const from = Math.max(at - ms, now - this.horizonMs);
    if (ms <= 0 || at <= from) return 0;
    let list = this.users.get(userKey);
    if (!list) this.users.set(userKey, (list = []));
    let granted = 0;
    for (let end = at; end > from;) {
      const bucket = floorToBucket(end - 1);
      const span = end - Math.max(bucket, from);
      const i = indexOf(list, bucket);
      const used = i < 0 ? 0 : list[i + 1]!;
      // Never more than the bucket's length, nor than the part of it that has passed.
      const take = Math.max(0, Math.min(span, Math.min(ROLLUP_BUCKET_MS, now - bucket) - used));
      if (take > 0) {
        if (i < 0) list.push(bucket, take);
        else list[i + 1] = used + take;
        granted += take;
      }
      end = bucket;
    }
    return granted;
  }

  /** Forgets buckets older than the horizon, and users with none left. */
  prune(now: number): void {
    const oldest = floorToBucket(now - this.horizonMs);
    for (const [key, list] of this.users) {
      const kept: number[] = [];
      for (let i = 0; i < list.length; i += 2) if (list[i]! >= oldest) kept.push(list[i]!, list[i + 1]!);
      if (kept.length === 0) this.users.delete(key);
      else if (kept.length < list.length) this.users.set(key, kept);
    }
  }

  get size(): number {
    return this.users.size;
  }
}

function indexOf(list: number[], bucket: number): number {
  for (let i = 0; i < list.length; i += 2) if (list[i] === bucket) return i;
  return -1;
}
