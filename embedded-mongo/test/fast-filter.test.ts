/**
 * The embedded server's filter fast path must agree with mingo on every document it judges,
 * decline every filter shape it does not cover, and judge the documents a hub writes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFastFilter } from '../src/fast-filter.ts';
import { mingoFilter } from '../src/mingo-engine.ts';

const date = fc.integer({ min: 0, max: 5 }).map((n) => new Date(1_700_000_000_000 + n * 1_000));
const scalar = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -0, 2.5),
  fc.constantFrom('a', 'b', '', '1'),
  fc.boolean(),
  fc.constant(null),
  date,
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom({ k: 1 }, [[1]], [{ k: 'a' }], 7n) },
);
const doc = fc.record({ a: value, b: value }, { requiredKeys: [] });
const bound = fc.oneof(fc.integer({ min: -3, max: 3 }), date);
const condition = fc.oneof(
  scalar,
  fc.record({ $eq: scalar }),
  fc.record({ $ne: scalar }),
  fc.record({ $in: fc.array(scalar, { maxLength: 3 }) }),
  fc.record({ $nin: fc.array(scalar, { maxLength: 3 }) }),
  fc.record({ $lt: bound }),
  fc.record({ $gte: bound, $lte: bound }),
  fc.record({ $gt: bound, $ne: scalar }),
  fc.record({ $exists: fc.boolean() }),
);
const plain = fc.record({ a: condition, b: condition }, { requiredKeys: [] });
const filter = fc.oneof(
  { weight: 3, arbitrary: plain },
  {
    weight: 1,
    arbitrary: fc.record({
      a: condition,
      $or: fc.array(
        plain.filter((f) => Object.keys(f).length > 0),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      $and: fc.array(
        plain.filter((f) => Object.keys(f).length > 0),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
);

describe('compileFastFilter', () => {
  it('agrees with mingo on every document it judges (property)', () => {
    let judged = 0;
    fc.assert(
      fc.property(filter, fc.array(doc, { minLength: 1, maxLength: 8 }), (f, docs) => {
        const fast = compileFastFilter(f);
        expect(fast).not.toBeNull();
        const mingo = mingoFilter(f);
        for (const d of docs) {
          const r = fast!(d);
          if (r === undefined) continue;
          judged++;
          expect(
            r,
            JSON.stringify({ f, d }, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
          ).toBe(mingo(d));
        }
      }),
      { numRuns: 2_000 },
    );
    // Most documents are plain: the fast path must actually decide them.
    expect(judged).toBeGreaterThan(5_000);
  });

  it('declines shapes it does not cover', () => {
    for (const f of [
      { 'a.b': 1 },
      { $or: [{ a: { $exists: 1 } }] },
      { $or: [] },
      { $or: [{}] },
      { $nor: [{ a: 1 }] },
      { a: { k: 1 } },
      { a: [1, 2] },
      { a: /x/ },
      { a: { $in: [{ k: 1 }] } },
      { a: { $lt: 'b' } },
      { a: { $lt: null } },
      { a: Number.NaN },
      { a: {} },
      { __proto__x: 1, ['__proto__']: 1 },
    ])
      expect(compileFastFilter(f), JSON.stringify(f)).toBeNull();
  });

  it("judges a hub's credit update filter without mingo", () => {
    const f = { _id: 'acme:pv1', seqFloor: { $lt: 12 }, seqs: { $nin: [12, 13] } };
    const fast = compileFastFilter(f)!;
    expect(fast({ _id: 'acme:pv1', seqFloor: -1, seqs: [1, 2, 3] })).toBe(true);
    expect(fast({ _id: 'acme:pv1', seqFloor: -1, seqs: [1, 13] })).toBe(false);
    expect(fast({ _id: 'acme:pv1', seqFloor: 20, seqs: [] })).toBe(false);
    expect(fast({ _id: 'other', seqFloor: -1, seqs: [] })).toBe(false);
    const stale = compileFastFilter({ endedAt: null, aliveAt: { $lt: new Date(5_000) } })!;
    expect(stale({ endedAt: null, aliveAt: new Date(1_000) })).toBe(true);
    expect(stale({ endedAt: new Date(2_000), aliveAt: new Date(1_000) })).toBe(false);
  });
});
