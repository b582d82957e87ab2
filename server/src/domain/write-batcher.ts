import { forEachInSlices } from './slices.ts';
import type { WriteOp } from './tracking-types.ts';

interface Pending {
  ops: WriteOp[];
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
  /** Statements the ops make once merged: one per page view credited, one per other op or key. */
  statements: number;
  credited: Set<string>;
  /** When (performance.now()) its first op was queued, and its first urgent one; 0: none yet. */
  since: number;
  urgentSince: number;
}

const emptyBatch = (): Pending => ({
  ops: [],
  waiters: [],
  statements: 0,
  credited: new Set(),
  since: 0,
  urgentSince: 0,
});

export interface FlushStats {
  ops: number;
  events: number;
  ms: number;
  ok: boolean;
}

/**
 * Waiters answered per turn of the event loop, in order: each answer is an ack written to a
 * socket, and a flush can hold thousands. The flush (and a drain at shutdown) ends after its acks.
 */
const SETTLE_SLICE = 500;

/**
 * Statements that make a batch worth writing at once: a flush is written in update commands of
 * 500 statements (storage/bulk-chunks.ts), so a batch this large saves no round trip by waiting
 * for the timer, and waiting only adds to every ack's latency. Counted after merging (all credits of
 * a page view in a batch are one update), so heartbeats of the same tabs keep merging instead of
 * filling the batch; while a flush is in flight the next batch keeps growing.
 */
export const FULL_BATCH_STATEMENTS = 1_000;

export interface BatcherTiming {
  /** Heartbeats wait at most this long for their write. */
  intervalMs: number;
  /**
   * Ops submitted as urgent (page views, leaves) wait at most this long (default 0: the next
   * tick), together with whatever else is queued by then. At 250 navigations a second, flushing
   * each on the next tick made 160 flushes a second of one or two page views, each three or four
   * bulk writes; a short wait gathers them.
   */
  urgentMs?: number;
  /** A batch this large is written at once (default FULL_BATCH_STATEMENTS). */
  fullStatements?: number;
}

/**
 * Collects tracking writes and applies them in one batch, so the number of database writes
 * does not grow with the heartbeat rate. Heartbeats wait for the next timed flush (at most
 * `intervalMs`), urgent ops at most `urgentMs`, and a full batch not at all. One flush is in
 * flight at a time. A caller's promise settles only when the batch holding its op is durable:
 * an ack means stored.
 */
export class WriteBatcher {
  private pending: Pending = emptyBatch();
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (performance.now()). */
  private deadline = 0;
  private inFlight: Promise<void> | null = null;
  private readonly intervalMs: number;
  private readonly urgentMs: number;
  private readonly fullStatements: number;

  constructor(
    private readonly apply: (ops: WriteOp[]) => Promise<void>,
    timing: BatcherTiming,
    private readonly onFlush: (stats: FlushStats) => void = () => {},
  ) {
    this.intervalMs = timing.intervalMs;
    this.urgentMs = timing.urgentMs ?? 0;
    this.fullStatements = timing.fullStatements ?? FULL_BATCH_STATEMENTS;
  }

  /** Queues ops; resolves when they are stored. `urgent` ops are written within `urgentMs`. */
  submit(ops: WriteOp[], urgent: boolean): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.pending.waiters.push({ resolve, reject }));
    this.add(ops);
    this.schedule(urgent);
    return p;
  }

  /** Queues ops that nobody waits for (keep-alive touches); they ride the next flush. */
  enqueue(ops: WriteOp[]): void {
    this.add(ops);
    this.schedule(false);
  }

  private add(ops: WriteOp[]): void {
    const b = this.pending;
    if (b.since === 0) b.since = performance.now();
    for (const op of ops) {
      b.ops.push(op);
      if (op.kind !== 'credit') b.statements += op.kind === 'alive' ? op.keys.length : 1;
      else if (!b.credited.has(op.key)) {
        b.credited.add(op.key);
        b.statements++;
      }
    }
  }

  get size(): number {
    return this.pending.ops.length;
  }

  /**
   * Sets the timer for the pending batch. Its deadline counts from when its oldest op (oldest
   * urgent op) was queued, not from now: ops queued while a flush was in flight have waited for
   * that flush already. (Counted from the end of the flight, a heartbeat waited the flight, a
   * whole interval and its own flush: over 2 s at a 1 s interval when flushes took 300 ms.)
   */
  private schedule(urgent: boolean): void {
    const b = this.pending;
    const now = performance.now();
    if (urgent && b.urgentSince === 0) b.urgentSince = now;
    if (this.inFlight) return; // the flush in flight reschedules when it ends
    let due = b.since + this.intervalMs;
    if (b.urgentSince > 0) due = Math.min(due, b.urgentSince + this.urgentMs);
    if (b.statements >= this.fullStatements) due = now;
    const at = Math.max(now, due);
    if (this.timer && this.deadline <= at) return; // already due as soon
    if (this.timer) clearTimeout(this.timer);
    this.deadline = at;
    this.timer = setTimeout(() => void this.flush(), at - now);
  }

  /** Writes everything queued now; resolves when done (failures reject the waiters, not this). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) await this.inFlight;
    const batch = this.pending;
    if (batch.ops.length === 0 && batch.waiters.length === 0) return;
    this.pending = emptyBatch();
    const started = performance.now();
    this.inFlight = this.apply(batch.ops).then(
      () => {
        this.onFlush({
          ops: batch.ops.length,
          events: batch.waiters.length,
          ms: performance.now() - started,
          ok: true,
        });
        return forEachInSlices(batch.waiters, SETTLE_SLICE, (w) => w.resolve());
      },
      (err: unknown) => {
        this.onFlush({
          ops: batch.ops.length,
          events: batch.waiters.length,
          ms: performance.now() - started,
          ok: false,
        });
        return forEachInSlices(batch.waiters, SETTLE_SLICE, (w) => w.reject(err));
      },
    );
    try {
      await this.inFlight;
    } finally {
      this.inFlight = null;
      if (this.pending.waiters.length > 0 || this.pending.ops.length > 0) this.schedule(false);
    }
  }

  /** Flushes until nothing is queued; for shutdown. */
  async drain(): Promise<void> {
    while (this.pending.ops.length > 0 || this.pending.waiters.length > 0 || this.inFlight) {
      await this.flush();
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
