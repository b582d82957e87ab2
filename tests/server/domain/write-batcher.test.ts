import { describe, expect, it } from 'vitest';
import type { WriteOp } from '../../../server/src/domain/tracking-types.ts';
import { WriteBatcher } from '../../../server/src/domain/write-batcher.ts';

const alive = (n: number): WriteOp => ({ kind: 'alive', keys: [`k${n}`], at: n });

describe('WriteBatcher', () => {
  it('writes many submissions in one batch and resolves each only after the write', async () => {
    const batches: WriteOp[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new WriteBatcher(async (ops) => {
      batches.push(ops);
      await gate;
    }, 20);
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
    const b = new WriteBatcher(async () => {
      if (fail) throw new Error('db down');
    }, 5);
    await expect(b.submit([alive(1)], true)).rejects.toThrow('db down');
    fail = false;
    await expect(b.submit([alive(2)], true)).resolves.toBeUndefined();
  });

  it('flushes urgent submissions without waiting for the interval', async () => {
    const b = new WriteBatcher(async () => {}, 10_000);
    const started = Date.now();
    await b.submit([alive(1)], true);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('writes a flood in bounded batches, in order, answering each batch once it is stored', async () => {
    const batches: number[][] = [];
    const answered: number[] = [];
    const b = new WriteBatcher(
      async (ops) => {
        // Every waiter of an earlier batch was answered before this one is written.
        expect(answered).toHaveLength(batches.reduce((n, x) => n + x.length / 2, 0));
        batches.push(ops.map((o) => (o.kind === 'alive' ? o.at : -1)));
      },
      10_000,
      () => {},
      100,
    );
    // Two ops per submission: a batch of 100 ops holds 50 of them and never splits one.
    const all = Array.from({ length: 120 }, (_, i) =>
      b.submit([alive(2 * i), alive(2 * i + 1)], i === 0).then(() => answered.push(i)),
    );
    await Promise.all(all);
    expect(batches.map((x) => x.length)).toEqual([100, 100, 40]);
    expect(batches.flat()).toEqual(Array.from({ length: 240 }, (_, i) => i));
    expect(answered).toEqual(Array.from({ length: 120 }, (_, i) => i));
  });

  it('drains everything on shutdown', async () => {
    let written = 0;
    const b = new WriteBatcher(async (ops) => void (written += ops.length), 10_000);
    void b.submit([alive(1)], false);
    b.enqueue([alive(2)]);
    await b.drain();
    expect(written).toBe(2);
  });
});
