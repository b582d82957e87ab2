import { describe, expect, it } from 'vitest';
import { BatchLoader } from '../../../server/src/domain/batch-loader.ts';

/** A loader with a window, whose storage answers every key with itself and records its calls. */
function windowed(windowMs: number) {
  const calls: string[][] = [];
  const loader = new BatchLoader<string>(
    async (keys) => {
      calls.push(keys);
      return new Map(keys.map((k) => [k, k]));
    },
    1_000,
    windowMs,
  );
  return { calls, loader };
}

/** Page view lookups of one turn of the event loop go to storage together. */
describe('BatchLoader', () => {
  it('fetches the keys of one turn in one call, each key once, and answers null for missing ones', async () => {
    const calls: string[][] = [];
    const loader = new BatchLoader<number>(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k !== 'gone').map((k) => [k, k.length]));
    });
    const answers = await Promise.all(['a', 'bb', 'a', 'gone'].map((k) => loader.load(k)));
    expect(answers).toEqual([1, 2, 1, null]);
    expect(calls).toEqual([['a', 'bb', 'gone']]);
    // A later turn is a new call.
    expect(await loader.load('ccc')).toBe(3);
    expect(calls).toHaveLength(2);
  });

  it('splits a large turn into calls of at most maxBatch keys', async () => {
    const sizes: number[] = [];
    const loader = new BatchLoader<string>(async (keys) => {
      sizes.push(keys.length);
      return new Map(keys.map((k) => [k, k]));
    }, 100);
    const keys = Array.from({ length: 250 }, (_, i) => `k${i}`);
    expect(await Promise.all(keys.map((k) => loader.load(k)))).toEqual(keys);
    expect(sizes).toEqual([100, 100, 50]);
  });

  it('rejects every waiter of a failed call, and only those', async () => {
    const loader = new BatchLoader<string>(async (keys) => {
      if (keys.includes('bad')) throw new Error('database down');
      return new Map(keys.map((k) => [k, k]));
    }, 2);
    const results = await Promise.allSettled(['ok1', 'ok2', 'bad', 'bad'].map((k) => loader.load(k)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });

  it('with windowMs, keys asked for within the window of the first share one call', async () => {
    const { calls, loader } = windowed(40);
    const first = loader.load('a');
    await new Promise((r) => setTimeout(r, 10));
    const second = loader.load('b');
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('a soon key goes on the next turn, with everything queued, without waiting for the window', async () => {
    const { calls, loader } = windowed(60_000);
    const waited = loader.load('a');
    const soon = loader.load('b', true);
    const same = loader.load('c'); // queued in the same turn: rides along
    expect(await Promise.all([waited, soon, same])).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([['a', 'b', 'c']]);
    // The window starts again afterwards: the next key waits for it, a soon one does not.
    const later = loader.load('d');
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(1);
    expect(await loader.load('e', true)).toBe('e');
    expect(await later).toBe('d');
    expect(calls).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });
});
