/**
 * How numbers are held in memory, so that every BSON number type survives a round trip while
 * mingo keeps comparing plain JS numbers.
 *
 * A JS number stands for the type the bson serializer writes for it: int32 when it is an
 * integer in the int32 range (and not -0), double otherwise. Only the values that rule would
 * get wrong keep their bson wrapper: a `Double` holding a whole number in the int32 range, and
 * a `Long` (int64). Int32 wrappers are never kept; Decimal128 stays what it always was.
 *
 * mingo compares those wrappers as opaque objects, so filters and sorts see a numeric view of
 * a stored document holding them: a copy in which they are JS numbers (Longs beyond ±2^53 stay
 * Longs, as before). Stored documents are registered when they hold one, so documents
 * without any (all of the hub's) cost nothing here.
 */
import { Long, type BSONSymbol, type Document, type Double, type Int32 } from 'bson';
import { bsonTypeName, isPlainObject } from './bson-values.ts';

/** True when the serializer writes `n` as an int32. */
export const isInt32 = (n: number): boolean =>
  Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 && !Object.is(n, -0);

const SAFE_MAX = Long.fromNumber(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = Long.fromNumber(Number.MIN_SAFE_INTEGER);
const isSafeLong = (l: Long): boolean => l.lessThanOrEqual(SAFE_MAX) && l.greaterThanOrEqual(SAFE_MIN);
const tagOf = (v: object): string | undefined => (v as { _bsontype?: string })._bsontype;

/** A kept wrapper that a numeric view turns into a JS number (a Double, or a Long within ±2^53). */
export function isTypedNumber(v: unknown): v is Double | Long {
  if (typeof v !== 'object' || v === null) return false;
  const tag = tagOf(v);
  return tag === 'Double' || (tag === 'Long' && isSafeLong(v as Long));
}

/**
 * Turns a value decoded with `promoteValues: false` into the in-memory form, in place. With
 * `keepTypes` false, numbers read exactly as the promoting decoder gave them (command arguments,
 * filters); with it true (documents to store), whole-number Doubles and all Longs are kept.
 */
export function normalizeDecoded(v: unknown, keepTypes: boolean): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = normalizeDecoded(v[i], keepTypes);
    return v;
  }
  switch (tagOf(v)) {
    case undefined:
      if (!isPlainObject(v)) return v;
      for (const key of Object.keys(v)) v[key] = normalizeDecoded(v[key], keepTypes);
      return v;
    case 'Int32':
      return (v as Int32).value;
    case 'Double': {
      const n = (v as Double).value;
      return keepTypes && isInt32(n) ? v : n;
    }
    case 'Long':
      return keepTypes || !isSafeLong(v as Long) ? v : (v as Long).toNumber();
    case 'BSONSymbol':
      return (v as BSONSymbol).value;
    default:
      return v;
  }
}

/** True if `v` holds a kept wrapper anywhere. */
export function hasTypedNumbers(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(hasTypedNumbers);
  if (isTypedNumber(v)) return true;
  if (!isPlainObject(v)) return false;
  for (const key in v) if (hasTypedNumbers(v[key])) return true;
  return false;
}

/** The JS number a kept wrapper stands for. */
export const toNumber = (v: Double | Long): number =>
  tagOf(v) === 'Long' ? (v as Long).toNumber() : (v as Double).value;

/** `v` with kept wrappers as JS numbers; containers are copied only where something changed. */
export function plainNumbers<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (isTypedNumber(v)) return toNumber(v) as T;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    v.forEach((el: unknown, i) => {
      const p = plainNumbers(el);
      if (p !== el) (out ??= v.slice())[i] = p;
    });
    return (out ?? v) as T;
  }
  const obj: unknown = v;
  if (!isPlainObject(obj)) return v;
  let out: Document | null = null;
  for (const key of Object.keys(obj)) {
    const p = plainNumbers(obj[key]);
    if (p !== obj[key]) (out ??= { ...obj })[key] = p;
  }
  return (out ?? obj) as T;
}

/** View container → the stored container it copies (for `$type`, which must see the wrappers). */
const SOURCE = new WeakMap<object, object>();

let viewsMade = false;

/** Whether any numeric view was ever made (else no value can have a stored source). */
export const viewsExist = (): boolean => viewsMade;

/** A fresh numeric view: every container copied, kept wrappers as JS numbers. */
export function numericView<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  viewsMade = true;
  if (isTypedNumber(v)) return toNumber(v) as T;
  const obj: unknown = v;
  let copy: object;
  if (Array.isArray(obj)) copy = obj.map(numericView);
  else if (isPlainObject(obj)) {
    const out: Document = {};
    for (const key of Object.keys(obj)) out[key] = numericView(obj[key]);
    copy = out;
  } else return v;
  SOURCE.set(copy, obj);
  return copy as T;
}

/** The stored container a view container copies (undefined for anything else). */
export const viewSource = (v: unknown): object | undefined =>
  typeof v === 'object' && v !== null ? SOURCE.get(v) : undefined;

/** The stored container a view container copies, or `v` itself. */
export const sourceOf = <T>(v: T): T => (viewSource(v) ?? v) as T;

const TYPED_DOCS = new WeakSet<object>();
const VIEWS = new WeakMap<object, Document>();
let typedDocsStored = false;

/** Called for every document a collection stores: registers it if it holds a kept wrapper. */
export function noteStored(doc: Document): void {
  if (!hasTypedNumbers(doc)) return;
  TYPED_DOCS.add(doc);
  typedDocsStored = true;
}

/** Whether any stored document ever held a kept wrapper (else every check below is skipped). */
export const typedDocsExist = (): boolean => typedDocsStored;

/** True for a stored document that holds a kept wrapper. */
export const isTypedDoc = (doc: object): boolean => typedDocsStored && TYPED_DOCS.has(doc);

/** What mingo evaluates filters and sorts on: the document, or its (cached, read-only) view. */
export function viewOf(doc: Document): Document {
  if (!isTypedDoc(doc)) return doc;
  let view = VIEWS.get(doc);
  if (!view) VIEWS.set(doc, (view = numericView(doc)));
  return view;
}

/** True if two documents equal by value also agree on every value's BSON type (5 vs 5.0). */
export function sameTypes(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameTypes(x, b[i]));
  if (isPlainObject(a)) return isPlainObject(b) && Object.keys(a).every((k) => sameTypes(a[k], b[k]));
  return bsonTypeName(a) === bsonTypeName(b);
}
