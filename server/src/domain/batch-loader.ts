/**
 * Coalesces lookups by key: every key asked for in the same turn of the event loop (or within
 * `windowMs` of the first) is fetched in one call (at most `maxBatch` keys per call), and a key
 * already on its way is not asked for twice. A reconnect storm of 15,000 tabs becomes a few
 * `$in` queries instead of 15,000 round trips queued on a pool of 20 connections.
 */
export class BatchLoader<V> {
  private queued = new Map<string, { resolve: (v: V | null) => void; reject: (e: unknown) => void }[]>();
  /** The window's timer, while the queued keys wait for it. */
  private timer: NodeJS.Timeout | null = null;
  /** The queued keys go on the next turn of the event loop. */
  private immediate = false;

  constructor(
    private readonly fetch: (keys: string[]) => Promise<Map<string, V>>,
    private readonly maxBatch = 1_000,
    private readonly windowMs = 0,
  ) {}

  /**
   * Resolves with the key's value, or null. `soon`: someone waits for this answer before they
   * can be served at all, so it (and everything queued with it) goes on the next turn instead
   * of at the end of the window.
   */
  load(key: string, soon = false): Promise<V | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.queued.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.queued.set(key, [{ resolve, reject }]);
      if (this.immediate) return;
      if (soon || this.windowMs <= 0) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.immediate = true;
        setImmediate(() => this.run());
      } else this.timer ??= setTimeout(() => this.run(), this.windowMs);
    });
  }

  private run(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.immediate = false;
    const all = this.queued;
    this.queued = new Map();
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
