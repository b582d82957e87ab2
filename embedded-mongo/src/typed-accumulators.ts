/**
 * `$group` accumulators that keep MongoDB's number types, while {@link withTypedAccumulators}
 * runs a pipeline segment that ends with the accumulating stage (typed-aggregate.ts); used
 * as expressions (`{$sum: [...]}`) or anywhere else, they are mingo's.
 *
 * - `$sum` adds with MongoDB's rules (number-arith.ts): int32 totals widen to int64 rather
 *   than becoming doubles, a sum with a long is a long.
 * - `$avg` is a double, as in MongoDB, even when whole.
 * - Over numeric views (numbers.ts), a bare field path (`'$n'`) reads the stored value where
 *   the view's is the same number, so a Long or whole-number Double keeps its type through
 *   `$sum`, `$first`, `$last`, `$push`, `$addToSet`, `$min` and `$max`.
 */
import * as mingo from 'mingo/operators/accumulator';
import * as mingoExpr from 'mingo/operators/expression';
import type { AnyObject, Options } from 'mingo/types';
import { valueKey } from './bson-values.ts';
import { storeDouble, sumNumbers } from './number-arith.ts';
import { sourceOf, viewsExist } from './numbers.ts';

type Accumulator = (coll: AnyObject[], expr: unknown, options: Options) => unknown;

const isFieldPath = (expr: unknown): expr is string => typeof expr === 'string' && /^\$[^$]/.test(expr);

let typedMode = false;

/** Runs `fn` with the typed accumulators on (their results may hold number wrappers). */
export function withTypedAccumulators<T>(fn: () => T): T {
  const before = typedMode;
  typedMode = true;
  try {
    return fn();
  } finally {
    typedMode = before;
  }
}

/** mingo's accumulator, unless typed mode is on and it accumulates over documents. */
const typedOr =
  (plain: Accumulator, typed: Accumulator): Accumulator =>
  (coll, expr, options) =>
    typedMode && expr !== null && expr !== undefined ? typed(coll, expr, options) : plain(coll, expr, options);

/** The values of `expr` per document, stored values in place of equal view values. */
function storedValues(coll: AnyObject[], expr: unknown, options: Options): unknown[] {
  const values = mingo.$push(coll, expr, options);
  if (!viewsExist() || !isFieldPath(expr)) return values;
  return values.map((v, i) => {
    const source = sourceOf(coll[i]);
    if (source === coll[i]) return v;
    const stored = mingo.$push([source as AnyObject], expr, options)[0];
    return stored !== v && valueKey(stored) === valueKey(v) ? stored : v;
  });
}

/** `pick`'s answer (`$min`, `$max`), as the stored value it equals when there is one. */
const asStored =
  (pick: Accumulator): Accumulator =>
  (coll, expr, options) => {
    const v = pick(coll, expr, options);
    if (!viewsExist() || !isFieldPath(expr) || v === null) return v;
    const key = valueKey(v);
    return storedValues(coll, expr, options).find((s) => valueKey(s) === key) ?? v;
  };

const $sum = typedOr(mingo.$sum, (coll, expr, options) =>
  sumNumbers(typeof expr === 'number' ? coll.map(() => expr) : storedValues(coll, expr, options)),
);

const $avg = typedOr(mingo.$avg, (coll, expr, options) => {
  const v = mingo.$avg(coll, expr, options);
  return typeof v === 'number' ? storeDouble(v) : v;
});

const $push = typedOr(mingo.$push, storedValues);

const $addToSet = typedOr(mingo.$addToSet, (coll, expr, options) => {
  if (!viewsExist() || !isFieldPath(expr)) return mingo.$addToSet(coll, expr, options);
  const seen = new Map<string, unknown>();
  for (const v of storedValues(coll, expr, options)) if (!seen.has(valueKey(v))) seen.set(valueKey(v), v);
  return [...seen.values()];
});

const $min = typedOr(mingo.$min, asStored(mingo.$min));
const $max = typedOr(mingo.$max, asStored(mingo.$max));

/** `$first`/`$last`: the stored value of the first or last document. */
const atEdge = (pick: Accumulator, last: boolean): Accumulator =>
  typedOr(pick, (coll, expr, options) =>
    coll.length > 0
      ? storedValues([coll[last ? coll.length - 1 : 0] as AnyObject], expr, options)[0]
      : pick(coll, expr, options),
  );

const $first = atEdge(mingo.$first, false);
const $last = atEdge(mingo.$last, true);

type Expression = (obj: unknown, expr: unknown, options: Options) => unknown;

/**
 * mingo's `$first`/`$last` expression operators (first element of an array) answer for the
 * accumulators inside `$group` too, and they take precedence: these send that case here.
 */
const groupAware =
  (accumulator: Accumulator, expression: Expression): Expression =>
  (obj, expr, options) =>
    Array.isArray(obj) ? accumulator(obj as AnyObject[], expr, options) : expression(obj, expr, options);

/** The accumulators to register over mingo's. */
export const accumulators = { $sum, $avg, $push, $addToSet, $first, $last, $min, $max };

/** The expression operators to register over mingo's. */
export const expressions = {
  $first: groupAware($first, mingoExpr.$first as Expression),
  $last: groupAware($last, mingoExpr.$last as Expression),
};
