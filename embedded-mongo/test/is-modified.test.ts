/**
 * `isModified` walks the two documents field by field instead of serialising both; it must give
 * the answer of the full comparison (value and number types) on every pair of documents.
 */
import { Double, Int32, Long } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueKey } from '../src/bson-values.ts';
import { sameTypes } from '../src/numbers.ts';
import { isModified } from '../src/update-apply.ts';

// A tiny domain, so that equal and almost-equal values (1 as int, double, long) are common.
const scalar = fc.oneof(
  fc.constantFrom(0, 1, -0, 1.5, NaN),
  fc.constantFrom('x', ''),
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom(0, 1).map((n) => new Date(n)),
  fc.constantFrom(1, 2).map((n) => new Int32(n)),
  fc.constantFrom(1, 2).map((n) => new Double(n)),
  fc.constantFrom(1, 2).map((n) => Long.fromNumber(n)),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: tie('doc') },
  ),
  doc: fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }),
}));
const doc = fc.dictionary(fc.constantFrom('_id', 'a', 'b', 'c'), value, { maxKeys: 4 });
const full = (a: unknown, b: unknown) => valueKey(a) !== valueKey(b) || !sameTypes(a, b);

describe('isModified', () => {
  it('agrees with the full comparison on independent documents', () => {
    fc.assert(
      fc.property(doc, doc, (a, b) => {
        expect(isModified(a, b)).toBe(full(a, b));
      }),
      { numRuns: 3_000 },
    );
  });

  it('agrees on a document and a copy with one field replaced (what an update does)', () => {
    fc.assert(
      fc.property(doc, fc.constantFrom('_id', 'a', 'b', 'c'), value, (a, k, v) => {
        const b = { ...a, [k]: v };
        expect(isModified(a, b)).toBe(full(a, b));
        expect(isModified(a, { ...a })).toBe(false);
      }),
      { numRuns: 3_000 },
    );
  });
});
