import type { Document } from 'bson';
import { isPlainObject } from './bson-values.ts';

/**
 * A fast path for the plainest filters, which are most of a hub's reads and writes: top-level
 * fields compared with a string, number, boolean, null or date (equality, `$eq`, `$ne`, `$in`,
 * `$nin`) or with a number or date (`$lt`, `$lte`, `$gt`, `$gte`), `$exists`, and `$or` / `$and`
 * of such filters. mingo builds a query object
 * and resolves every path through its general machinery; under a hub's load that was a fifth of
 * the CPU. A filter of any other shape compiles to null, and a document value the fast path
 * cannot judge (an embedded document, a nested array, a BSON wrapper) answers `undefined`: both
 * go to mingo, so the semantics stay mingo's.
 */
export type FastPredicate = (doc: Document) => boolean | undefined;

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
type Literal = string | number | boolean | null | Date;
type ValueTest = (x: unknown) => boolean | undefined;

const isLiteral = (v: unknown): v is Literal =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && !Number.isNaN(v)) ||
  (v instanceof Date && !Number.isNaN(v.getTime()));

/** One scalar against a literal: equal, not equal, or unknown (objects mingo must judge). */
function scalarEquals(x: unknown, v: Literal): boolean | undefined {
  if (x === null || x === undefined) return v === null;
  if (typeof x === 'bigint') return undefined;
  if (x instanceof Date) return v instanceof Date && x.getTime() === v.getTime();
  if (typeof x === 'object') return undefined;
  return x === v;
}

/** MongoDB's equality on a field: the value, or any element of an array value, equals `v`. */
function equalsTest(v: Literal): ValueTest {
  return (x) => {
    if (!Array.isArray(x)) return scalarEquals(x, v);
    // `null` against arrays has corner cases (empty arrays, missing members): mingo decides.
    if (v === null) return undefined;
    let unknown = false;
    for (const e of x) {
      if (Array.isArray(e)) return undefined;
      const r = scalarEquals(e, v);
      if (r) return true;
      if (r === undefined) unknown = true;
    }
    return unknown ? undefined : false;
  };
}

/** A range bound: only values of the operand's own type compare (MongoDB's type bracketing). */
function rangeTest(op: string, v: number | Date): ValueTest {
  const bound = typeof v === 'number' ? v : v.getTime();
  const cmp = (n: number) =>
    op === '$lt' ? n < bound : op === '$lte' ? n <= bound : op === '$gt' ? n > bound : n >= bound;
  const scalar = (x: unknown): boolean | undefined => {
    if (typeof v === 'number' && typeof x === 'number') return cmp(x);
    if (v instanceof Date && x instanceof Date) return cmp(x.getTime());
    if (typeof x === 'bigint' || (x !== null && typeof x === 'object' && !(x instanceof Date))) return undefined;
    return false;
  };
  return (x) => {
    if (!Array.isArray(x)) return scalar(x);
    let unknown = false;
    for (const e of x) {
      const r = Array.isArray(e) ? undefined : scalar(e);
      if (r) return true;
      if (r === undefined) unknown = true;
    }
    return unknown ? undefined : false;
  };
}

const not =
  (t: ValueTest): ValueTest =>
  (x) => {
    const r = t(x);
    return r === undefined ? undefined : !r;
  };

/**
 * Three-valued AND (`decisive` false) or OR (`decisive` true): the first test answering
 * `decisive` settles it; otherwise any unknown answer makes the whole unknown.
 */
function combine<T>(tests: ((x: T) => boolean | undefined)[], decisive: boolean): (x: T) => boolean | undefined {
  return (x) => {
    let unknown = false;
    for (const t of tests) {
      const r = t(x);
      if (r === decisive) return decisive;
      if (r === undefined) unknown = true;
    }
    return unknown ? undefined : !decisive;
  };
}

const anyOf = (tests: ValueTest[]): ValueTest => combine(tests, true);
const allOf = (tests: ValueTest[]): ValueTest => combine(tests, false);

/** The test of one field's condition, or null when the fast path does not cover it. */
function conditionTest(cond: unknown): ValueTest | null {
  if (isLiteral(cond)) return equalsTest(cond);
  if (!isPlainObject(cond)) return null;
  const entries = Object.entries(cond);
  if (entries.length === 0) return null;
  const tests: ValueTest[] = [];
  for (const [op, v] of entries) {
    if (op === '$exists' && typeof v === 'boolean') tests.push((x) => (x === undefined ? !v : v));
    else if ((op === '$eq' || op === '$ne') && isLiteral(v))
      tests.push(op === '$eq' ? equalsTest(v) : not(equalsTest(v)));
    else if ((op === '$in' || op === '$nin') && Array.isArray(v) && v.every(isLiteral)) {
      const t = anyOf(v.map(equalsTest));
      tests.push(op === '$in' ? t : not(t));
    } else if (
      (op === '$lt' || op === '$lte' || op === '$gt' || op === '$gte') &&
      ((typeof v === 'number' && !Number.isNaN(v)) || (v instanceof Date && !Number.isNaN(v.getTime())))
    )
      tests.push(rangeTest(op, v));
    else return null;
  }
  return tests.length === 1 ? tests[0]! : allOf(tests);
}

/** `$or` / `$and` of filters that each fit the fast path. */
function branchesTest(op: '$or' | '$and', branches: unknown): FastPredicate | null {
  if (!Array.isArray(branches) || branches.length === 0) return null;
  const compiled: FastPredicate[] = [];
  for (const b of branches) {
    const c = isPlainObject(b) && Object.keys(b).length > 0 ? compileFastFilter(b) : null;
    if (!c) return null;
    compiled.push(c);
  }
  return combine(compiled, op === '$or');
}

/** Compiles `filter` when every condition fits the fast path; null otherwise. */
export function compileFastFilter(filter: Document): FastPredicate | null {
  const tests: FastPredicate[] = [];
  for (const [field, cond] of Object.entries(filter)) {
    if (field === '$or' || field === '$and') {
      const t = branchesTest(field, cond);
      if (!t) return null;
      tests.push(t);
      continue;
    }
    if (!FIELD.test(field) || field === '__proto__') return null;
    const test = conditionTest(cond);
    if (!test) return null;
    tests.push((doc) => test(Object.hasOwn(doc, field) ? doc[field] : undefined));
  }
  return combine(tests, false);
}
