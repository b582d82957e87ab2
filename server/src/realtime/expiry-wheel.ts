/**
 * One timer for many deadlines. Items wait in slots of `tickMs` (by default 250 ms); a
 * single unref'd timer runs while any item waits and fires each slot once it is due. Per item
 * it costs one Set entry and one WeakMap entry, where a timer per socket costs a Timeout object,
 * its closure and a place in the timer list; at 15,000 sockets that difference is counted.
 * An item fires within two ticks after its deadline, never before it.
 */
export class ExpiryWheel<T extends object> {
  private readonly slots = new Map<number, Set<T>>();
  private readonly slotOf = new WeakMap<T, number>();
  private cursor = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly onExpire: (item: T) => void,
    private readonly now: () => number = Date.now,
    private readonly tickMs = 250,
  ) {}

  /** Schedules `item` (replacing any earlier deadline) to expire at epoch ms `at`. */
  add(item: T, at: number): void {
    this.remove(item);
    if (this.timer === null) this.cursor = Math.floor(this.now() / this.tickMs);
    const slot = Math.max(Math.ceil(at / this.tickMs), this.cursor);
    let set = this.slots.get(slot);
    if (!set) this.slots.set(slot, (set = new Set()));
    set.add(item);
    this.slotOf.set(item, slot);
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
  }

  remove(item: T): void {
    const slot = this.slotOf.get(item);
    if (slot === undefined) return;
    this.slotOf.delete(item);
    const set = this.slots.get(slot);
    set?.delete(item);
    if (set?.size === 0) this.slots.delete(slot);
  }

  /** Items waiting. */
  get size(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.size;
    return n;
  }

  private tick(): void {
    const due = Math.floor(this.now() / this.tickMs);
    for (; this.cursor <= due; this.cursor++) {
      const set = this.slots.get(this.cursor);
      if (!set) continue;
      this.slots.delete(this.cursor);
      for (const item of set) {
        this.slotOf.delete(item);
        this.onExpire(item);
      }
    }
    if (this.slots.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
