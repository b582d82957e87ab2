/**
 * `$inc`/`$mul` arithmetic with MongoDB's type rules (its SafeNum): int32 with int32 stays
 * int32 and widens to int64 when the result does not fit; int64 with an integer stays int64,
 * and an int64 result that does not fit is an error (BadValue), never a wrap or a double;
 * anything with a double is a double. Results come back in the in-memory form of numbers.ts.
 */
import { Double, Long, type Document } from 'bson';
import { bsonTypeName } from './bson-values.ts';
import { ErrorCode, fail } from './errors.ts';
import { isInt32 } from './numbers.ts';

/** The numeric kinds we compute with (Decimal128 is refused by the callers). */
export type NumberKind = 'int' | 'long' | 'double';

/** A stored value's numeric kind, `decimal`, or null when it is not a number. */
export function numberKind(v: unknown): NumberKind | 'decimal' | null {
  const name = bsonTypeName(v);
  return name === 'int' || name === 'long' || name === 'double' || name === 'decimal' ? name : null;
}

/** A double in its in-memory form: a Double wrapper only where a JS number would read as int32. */
export const storeDouble = (n: number): number | Double => (isInt32(n) ? new Double(n) : n);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const asNumber = (v: unknown): number =>
  typeof v === 'number' ? v : v instanceof Long ? v.toNumber() : (v as Double).value;
const asBigInt = (v: unknown): bigint => (v instanceof Long ? v.toBigInt() : BigInt(v as number));

/**
 * `current op operand` for two numbers that are not Decimal128; null when an int64 result
 * overflows (mongod refuses the update then).
 */
export function arithmetic(op: '$inc' | '$mul', current: unknown, operand: unknown): unknown {
  const kinds = [numberKind(current), numberKind(operand)];
  if (kinds.includes('double')) {
    const [a, b] = [asNumber(current), asNumber(operand)];
    return storeDouble(op === '$inc' ? a + b : a * b);
  }
  const [a, b] = [asBigInt(current), asBigInt(operand)];
  const result = op === '$inc' ? a + b : a * b;
  if (kinds[0] === 'int' && kinds[1] === 'int' && result >= -2147483648n && result <= 2147483647n)
    return Number(result);
  return result >= INT64_MIN && result <= INT64_MAX ? Long.fromBigInt(result) : null;
}

/** `$inc` of two plain JS numbers (the update fast path): no BigInt needed, same rules. */
export function addPlainNumbers(a: number, b: number): number | Double | Long {
  if (!isInt32(a) || !isInt32(b)) return storeDouble(a + b);
  const sum = a + b;
  return isInt32(sum) ? sum : Long.fromNumber(sum);
}

/**
 * MongoDB's `$sum` of the numbers among `values` (others are skipped): int32 while it fits,
 * then int64; int64 when a long takes part, a double past the int64 range; a double when a
 * double takes part. Exact for integers; JS floating point once a double is involved.
 */
export function sumNumbers(values: unknown[]): unknown {
  let total = 0;
  let double = false;
  let long = false;
  for (const v of values) {
    const kind = numberKind(v);
    if (kind === null || kind === 'decimal') continue;
    total += asNumber(v);
    if (kind === 'double') double = true;
    else if (kind === 'long') long = true;
  }
  if (double) return storeDouble(total);
  if (!long && Math.abs(total) <= Number.MAX_SAFE_INTEGER) return isInt32(total) ? total : Long.fromNumber(total);
  let exact = 0n;
  for (const v of values) if (numberKind(v) === 'int' || numberKind(v) === 'long') exact += asBigInt(v);
  return exact >= INT64_MIN && exact <= INT64_MAX ? Long.fromBigInt(exact) : Number(exact);
}

/** mongod's rendering of a number in its update error messages, e.g. `(NumberLong)42`. */
function shellForm(v: unknown): string {
  const kind = numberKind(v);
  const label = kind === 'int' ? 'NumberInt' : kind === 'long' ? 'NumberLong' : 'NumberDouble';
  return `(${label})${String(v)}`;
}

/** Fails like mongod when `$inc`/`$mul` overflows int64 (BadValue). */
export function failOverflow(op: string, current: unknown, doc: Document): never {
  const id = typeof doc._id === 'string' ? JSON.stringify(doc._id) : String(doc._id);
  return fail(
    ErrorCode.BadValue,
    `Failed to apply ${op} operations to current value (${shellForm(current)}) for document {_id: ${id}}`,
  );
}
