/**
 * The embedded server's update fast path must give exactly what mingo's updater gives, for
 * every update it accepts, and decline everything else. (Number types are the exception: its
 * `$inc` follows MongoDB's, like the general path; see numeric-storage.test.ts.)
 */
import { update as mingoUpdate } from 'mingo/updater';
import { describe, expect, it } from 'vitest';
import { tryFastUpdate } from '../src/fast-update.ts';

const d = (ms: number) => new Date(1_700_000_000_000 + ms);
const base = () => ({ _id: 'p1', n: 5, at: d(100), ids: ['a'], name: 'x', nested: { k: 1 }, seqs: [5, 1, 7] });

const accepted = [
  { $inc: { n: 3 }, $max: { at: d(500) }, $set: { name: 'y', updated: d(1) }, $push: { ids: { $each: ['b', 'c'] } } },
  { $max: { at: d(50) }, $min: { n: 1 } },
  { $min: { at: d(50), fresh: 7 }, $max: { n: 2, other: d(3) } },
  { $inc: { missing: 2 } },
  { $push: { ids: 'z', newList: { a: 1 } } },
  { $set: { nested: { k: 2, j: [1, 2] } } },
  { $push: { seqs: { $each: [9, 4], $sort: 1, $slice: -3 } } },
  { $push: { seqs: { $each: [9, 4], $sort: -1, $slice: 2 } } },
  { $push: { seqs: { $each: [0], $slice: 0 } }, $max: { n: 9 } },
];

const declined = [
  { $set: { 'nested.k': 2 } },
  { $set: { _id: 'p2' } },
  { $unset: { name: '' } },
  { $inc: { name: 1 } },
  { $max: { name: 3 } },
  { $push: { ids: { $each: ['q'], $sort: 1 } } },
  { $push: { seqs: { $each: [1], $position: 0 } } },
  { $push: { seqs: { $each: [1], $slice: 1.5 } } },
  { $push: { seqs: { $each: [1], $sort: { k: 1 } } } },
  { $push: { seqs: { $slice: 2 } } },
  { $push: { name: 'q' } },
  { $set: { n: 1 }, $inc: { n: 1 } },
  { $set: {} },
];

describe('tryFastUpdate', () => {
  it.each(accepted.map((m) => [JSON.stringify(m), m]))('matches mingo for %s', (_label, modifier) => {
    const fast = base();
    const slow = base();
    expect(tryFastUpdate(fast, modifier)).toBe(true);
    mingoUpdate(slow, modifier, [], {}, { cloneMode: 'copy' });
    expect(fast).toEqual(slow);
    expect(Object.keys(fast)).toEqual(Object.keys(slow));
  });

  it.each(declined.map((m) => [JSON.stringify(m), m]))(
    'declines %s and leaves the document alone',
    (_label, modifier) => {
      const doc = base();
      expect(tryFastUpdate(doc, modifier)).toBe(false);
      expect(doc).toEqual(base());
    },
  );

  it('copies values, so one update applied to many documents shares nothing', () => {
    const value = { k: [1] };
    const a: Record<string, unknown> = base();
    const b: Record<string, unknown> = base();
    tryFastUpdate(a, { $set: { v: value }, $push: { ids: { $each: [value] } } });
    tryFastUpdate(b, { $set: { v: value } });
    (a.v as { k: number[] }).k.push(2);
    expect(b).toMatchObject({ v: { k: [1] } });
    expect(value).toEqual({ k: [1] });
  });
});
