import { describe, expect, it, vi } from 'vitest';
import type { WriteOp } from '../../../server/src/domain/tracking-types.ts';
import { WriteBatcher } from '../../../server/src/domain/write-batcher.ts';

const alive = (n: number): WriteOp => ({ kind: 'alive', keys: [`k${n}`], at: n });
const credit = (key: string, seq: number): WriteOp => ({
  kind: 'credit',
  key,
  agencyId: 'a',
  userId: 'u',
  credits: [{ seq, ms: 100 }],
  lastSeenAt: seq,
});

/** A batcher that is full at `full` statements and records each batch's size; its timer is far off. */
function counting(full: number) {
  const batches: number[] = [];
  const b = new WriteBatcher(async (ops) => void batches.push(ops.length), {
    intervalMs: 10_000,
    fullStatements: full,
  });
  return { b, batches };
}

describe('WriteBatcher', () => {
  it('writes many submissions in one batch and resolves each only after the write', async () => {
    const batches: WriteOp[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new WriteBatcher(
      async (ops) => {
        batches.push(ops);
        await gate;
      },
      { intervalMs: 20 },
    );
    let done = 0;
    const all = Array.from({ length: 50 }, (_, i) => b.submit([alive(i)], false).then(() => done++));
    await new Promise((r) => setTimeout(r, 60));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(50);
    expect(done).toBe(0); // not acked before the write succeeded
    release();
    await Promise.all(all);
    expect(done).toBe(50);
  });

  it('rejects every waiter of a failed batch and keeps working', async () => {
    let fail = true;
    const b = new WriteBatcher(
      async () => {
        if (fail) throw new Error('db down');
      },
      { intervalMs: 5 },
    );
    await expect(b.submit([alive(1)], true)).rejects.toThrow('db down');
    fail = false;
    await expect(b.submit([alive(2)], true)).resolves.toBeUndefined();
  });

  it('flushes urgent submissions without waiting for the interval', async () => {
    const b = new WriteBatcher(async () => {}, { intervalMs: 10_000 });
    const started = Date.now();
    await b.submit([alive(1)], true);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('gathers urgent submissions of the next urgentMs into one batch; a full batch goes at once', async () => {
    const batches: number[] = [];
    const b = new WriteBatcher(async (ops) => void batches.push(ops.length), {
      intervalMs: 10_000,
      urgentMs: 60,
      fullStatements: 50,
    });
    const started = performance.now();
    const first = b.submit([alive(1)], true);
    await new Promise((r) => setTimeout(r, 20));
    const more = [b.submit([alive(2)], true), b.submit([credit('pv', 1)], false)];
    await Promise.all([first, ...more]);
    const waited = performance.now() - started;
    expect(batches).toEqual([3]);
    expect(waited).toBeGreaterThanOrEqual(55);
    expect(waited).toBeLessThan(1_000);
    // An urgent op waits; 50 statements make a full batch, which does not.
    const fullAt = performance.now();
    await Promise.all([
      b.submit([alive(3)], true),
      ...Array.from({ length: 49 }, (_, i) => b.submit([alive(i)], false)),
    ]);
    expect(batches).toEqual([3, 50]);
    expect(performance.now() - fullAt).toBeLessThan(50);
  });

  it('answers a large batch a slice per turn of the event loop, in order', async () => {
    const b = new WriteBatcher(async () => {}, { intervalMs: 10_000 });
    const answered: number[] = [];
    let atFirstTurn = -1;
    const all = Array.from({ length: 1_200 }, (_, i) =>
      b.submit([alive(i)], i === 0).then(() => {
        if (i === 0) setImmediate(() => (atFirstTurn = answered.length));
        answered.push(i);
      }),
    );
    await Promise.all(all);
    expect(atFirstTurn).toBeGreaterThan(0);
    expect(atFirstTurn).toBeLessThan(1_200); // not all 1,200 acks in one stretch
    expect(answered).toEqual(Array.from({ length: 1_200 }, (_, i) => i));
  });

  it('writes a full batch without waiting for the interval, and a smaller one only at the interval', async () => {
    const { b, batches } = counting(100);
    const started = Date.now();
    await Promise.all(Array.from({ length: 100 }, (_, i) => b.submit([alive(i)], false)));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(batches).toEqual([100]);
    // 99 queued: nothing is written until the interval (or an urgent op) comes.
    const rest = Array.from({ length: 99 }, (_, i) => b.submit([alive(i)], false));
    await new Promise((r) => setTimeout(r, 200));
    expect(batches).toEqual([100]);
    await Promise.all([...rest, b.submit([alive(99)], true)]);
    expect(batches).toEqual([100, 100]);
  });

  it('counts a full batch in statements: credits of one page view merge into one, so they do not fill it', async () => {
    const { b, batches } = counting(10);
    // 40 heartbeats of 5 tabs: 5 statements, not full; one keep-alive op for 5 keys makes 10.
    const hb = Array.from({ length: 40 }, (_, i) => b.submit([credit(`pv${i % 5}`, i)], false));
    await new Promise((r) => setTimeout(r, 50));
    expect(batches).toEqual([]);
    b.enqueue([{ kind: 'alive', keys: ['x1', 'x2', 'x3', 'x4'], at: 1 }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(batches).toEqual([]);
    const last = b.submit([credit('pv9', 99)], false);
    await Promise.all([...hb, last]);
    expect(batches).toEqual([42]);
  });

  it('grows the next batch while a flush is in flight, then writes it at once when full', async () => {
    const batches: number[] = [];
    let release!: () => void;
    const b = new WriteBatcher(
      async (ops) => {
        batches.push(ops.length);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
      },
      { intervalMs: 10_000, fullStatements: 10 },
    );
    const first = Array.from({ length: 10 }, (_, i) => b.submit([alive(i)], false));
    await new Promise((r) => setTimeout(r, 20));
    const second = Array.from({ length: 25 }, (_, i) => b.submit([alive(i)], false));
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toEqual([10]); // one flush in flight at a time
    release();
    await Promise.all([...first, ...second]);
    expect(batches).toEqual([10, 25]);
  });

  it("counts a batch's deadline from its oldest op, also when that op was queued during a flush", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const written: number[] = [];
      let release!: () => void;
      const b = new WriteBatcher(
        async () => {
          written.push(performance.now());
          if (written.length === 1) await new Promise<void>((r) => (release = r));
        },
        { intervalMs: 1_000 },
      );
      const t0 = performance.now();
      const first = b.submit([alive(1)], false);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(written).toEqual([t0 + 1_000]); // the first flush, held in flight
      const second = b.submit([alive(2)], false); // queued at t0 + 1,000, during the flight
      await vi.advanceTimersByTimeAsync(400);
      release(); // the flight ends at t0 + 1,400
      await first;
      await vi.advanceTimersByTimeAsync(600);
      // Written one interval after it was queued, not one interval after the flight ended.
      expect(written).toEqual([t0 + 1_000, t0 + 2_000]);
      await second;
      // An op whose deadline passed during a flight goes as soon as the flight ends.
      const third = b.submit([alive(3)], false);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(written).toHaveLength(3);
      await third;
    } finally {
      vi.useRealTimers();
    }
  });

  it('drains everything on shutdown', async () => {
    let written = 0;
    const b = new WriteBatcher(async (ops) => void (written += ops.length), { intervalMs: 10_000 });
    void b.submit([alive(1)], false);
    b.enqueue([alive(2)]);
    await b.drain();
    expect(written).toBe(2);
  });
});
