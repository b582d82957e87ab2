import { describe, expect, it } from 'vitest';
import { forEachInSlices } from '../../../server/src/domain/slices.ts';

describe('forEachInSlices', () => {
  it('visits every item in order, a slice per turn of the event loop, the first at once', async () => {
    const seen: number[] = [];
    const turns: number[] = [];
    // Other work queued on the loop runs between slices, not after the whole pass.
    const other = () => {
      turns.push(seen.length);
      if (turns.length < 10) setImmediate(other);
    };
    setImmediate(other);
    const done = forEachInSlices(
      Array.from({ length: 25 }, (_, i) => i),
      10,
      (i) => seen.push(i),
    );
    expect(seen).toHaveLength(10); // the first slice ran synchronously
    await done;
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(turns.slice(0, 2)).toEqual([10, 20]);
  });

  it('works over a live Map iterator while entries are added and deleted between slices', async () => {
    const m = new Map(Array.from({ length: 6 }, (_, i) => [i, i]));
    const seen: number[] = [];
    setImmediate(() => {
      m.delete(4);
      m.set(9, 9);
    });
    await forEachInSlices(m.keys(), 3, (k) => seen.push(k));
    expect(seen).toEqual([0, 1, 2, 3, 5, 9]);
  });
});
