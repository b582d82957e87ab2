import type { WriteOp } from './tracking-types.ts';

interface Pending {
  ops: WriteOp[];
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

export interface FlushStats {
  ops: number;
  events: number;
  ms: number;
  ok: boolean;
}

/** Ops per batch at most: one batch is one synchronous stretch of work for the driver and an in-process database. */
export const MAX_BATCH_OPS = 1_000;

const emptyBatch = (): Pending => ({ ops: [], waiters: [] });

/**
 * Collects tracking writes and applies them in batches, so the number of database writes
 * does not grow with the heartbeat rate. Heartbeats wait for the next timed flush (at most
 * `intervalMs`); page views and leaves ask for an immediate one. A caller's promise settles
 * only when the batch holding its op is durable: an ack means stored. A batch holds at most
 * `maxOps` ops (one submission is never split); a flush writes the queued batches one after
 * another, in submission order, and each batch's callers are answered as soon as it is stored.
 */
export class WriteBatcher {
  /** Full batches first, the one filling last; never empty. */
  private queue: Pending[] = [emptyBatch()];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private urgent = false;

  constructor(
    private readonly apply: (ops: WriteOp[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onFlush: (stats: FlushStats) => void = () => {},
    private readonly maxOps = MAX_BATCH_OPS,
  ) {}

  /** Queues ops; resolves when they are stored. `urgent` flushes on the next tick. */
  submit(ops: WriteOp[], urgent: boolean): Promise<void> {
    const batch = this.batchFor(ops.length);
    const p = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    batch.ops.push(...ops);
    this.schedule(urgent);
    return p;
  }

  /** Queues ops that nobody waits for (keep-alive touches); they ride the next flush. */
  enqueue(ops: WriteOp[]): void {
    for (let i = 0; i < ops.length; i += this.maxOps) this.batchFor(0).ops.push(...ops.slice(i, i + this.maxOps));
    this.schedule(false);
  }

  get size(): number {
    return this.queue.reduce((n, b) => n + b.ops.length, 0);
  }

  /** The batch that takes `n` more ops: the last one, or a new one when it is full. */
  private batchFor(n: number): Pending {
    const last = this.queue[this.queue.length - 1]!;
    if (last.ops.length === 0 || last.ops.length + Math.max(n, 1) <= this.maxOps) return last;
    const next = emptyBatch();
    this.queue.push(next);
    return next;
  }

  private get idle(): boolean {
    const first = this.queue[0]!;
    return this.queue.length === 1 && first.ops.length === 0 && first.waiters.length === 0;
  }

  private schedule(urgent: boolean): void {
    if (urgent) this.urgent = true;
    if (this.inFlight) return; // the flush in flight reschedules when it ends
    if (urgent || this.queue.length > 1) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.flush(), 0);
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
    }
  }

  /** Writes the oldest queued batch; resolves when done (failures reject its waiters, not this). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) await this.inFlight;
    if (this.idle) return;
    const batch = this.queue.shift()!;
    if (this.queue.length === 0) {
      this.queue.push(emptyBatch());
      this.urgent = false;
    }
    const started = performance.now();
    const stats = (ok: boolean): FlushStats => ({
      ops: batch.ops.length,
      events: batch.waiters.length,
      ms: performance.now() - started,
      ok,
    });
    this.inFlight = this.apply(batch.ops).then(
      () => {
        this.onFlush(stats(true));
        for (const w of batch.waiters) w.resolve();
      },
      (err: unknown) => {
        this.onFlush(stats(false));
        for (const w of batch.waiters) w.reject(err);
      },
    );
    try {
      await this.inFlight;
    } finally {
      this.inFlight = null;
      // More queued: full batches go at once (after a turn of the event loop), a filling one
      // waits for its interval unless something urgent is in it.
      if (!this.idle) this.schedule(this.urgent);
    }
  }

  /** Flushes until nothing is queued; for shutdown. */
  async drain(): Promise<void> {
    while (!this.idle || this.inFlight) {
      await this.flush();
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
