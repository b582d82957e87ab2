/**
 * Coalesces lookups by key: every key asked for in the same turn of the event loop (or within
 * `windowMs` of the first) is fetched in one call (at most `maxBatch` keys per call), and a key
 * already on its way is not asked for twice. A reconnect storm of 15,000 tabs becomes a few
 * `$in` queries instead of 15,000 round trips queued on a pool of 20 connections.
 */
export class BatchLoader<V> {
  private queued = new Map<string, { resolve: (v: V | null) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  constructor(
    private readonly fetch: (keys: string[]) => Promise<Map<string, V>>,
    private readonly maxBatch = 1_000,
    private readonly windowMs = 0,
  ) {}

  load(key: string): Promise<V | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.queued.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.queued.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        if (this.windowMs > 0) setTimeout(() => this.run(), this.windowMs);
        else setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    const all = this.queued;
    this.queued = new Map();
    this.scheduled = false;
    const keys = [...all.keys()];
    for (let i = 0; i < keys.length; i += this.maxBatch) {
      const part = keys.slice(i, i + this.maxBatch);
      this.fetch(part).then(
        (found) => {
          for (const k of part) for (const w of all.get(k)!) w.resolve(found.get(k) ?? null);
        },
        (err: unknown) => {
          for (const k of part) for (const w of all.get(k)!) w.reject(err);
        },
      );
    }
  }
}
