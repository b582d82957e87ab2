/**
 * Value helpers that must follow BSON/MongoDB semantics rather than JS ones:
 * canonical keys for hash indexes, BSON type names, cloning and dotted paths.
 */
import type { Document } from 'bson';

type BsonTagged = { _bsontype?: string; toString(enc?: string): string };

const bsonTypeOf = (v: object): string | undefined => (v as BsonTagged)._bsontype;

/** True for `{}`-style objects (not arrays, dates or BSON value classes). */
export function isPlainObject(v: unknown): v is Document {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Canonical, self-delimiting string for a value, used as hash-index key.
 * Two values get the same key iff MongoDB treats them as equal for index
 * lookups of the types we store (numbers compare by value, embedded
 * documents by field order, null and missing alike).
 */
export function valueKey(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'n';
    case 'number':
      return `N${Object.is(v, -0) ? 0 : v};`;
    case 'string':
      return `S${v.length}:${v}`;
    case 'boolean':
      return v ? 'T' : 'F';
    case 'bigint':
      return `N${v};`;
    case 'object':
      break;
    default:
      return `U${String(v)};`;
  }
  if (v === null) return 'n';
  if (v instanceof Date) return `D${v.getTime()};`;
  if (Array.isArray(v)) return `A${v.length}[${v.map(valueKey).join('')}]`;
  if (v instanceof RegExp) return `R${v.source.length}:${v.source}/${v.flags};`;
  const tag = bsonTypeOf(v);
  if (tag === 'ObjectId') return `O${(v as BsonTagged).toString('hex')};`;
  if (tag === 'Binary') {
    const b = v as unknown as { sub_type: number; toString(enc: string): string };
    return `B${b.sub_type}:${b.toString('base64')};`;
  }
  if (tag === 'Long' || tag === 'Int32' || tag === 'Double') return `N${(v as BsonTagged).toString()};`;
  if (tag !== undefined) return `${tag}:${(v as BsonTagged).toString().length}:${(v as BsonTagged).toString()};`;
  let out = '{';
  for (const [k, val] of Object.entries(v)) out += `${k.length}:${k}${valueKey(val)}`;
  return `${out}}`;
}

const TAG_TO_TYPE: Record<string, string> = {
  ObjectId: 'objectId',
  Long: 'long',
  Decimal128: 'decimal',
  Binary: 'binData',
  Timestamp: 'timestamp',
  MinKey: 'minKey',
  MaxKey: 'maxKey',
  Code: 'javascript',
  BSONRegExp: 'regex',
  Double: 'double',
  Int32: 'int',
  BSONSymbol: 'symbol',
  DBRef: 'object',
};

/**
 * MongoDB's `$type` name of a stored value. JS numbers are classified the
 * way the bson serializer will write them back (int32 when integral and in
 * range, double otherwise, -0 included), so `$type` agrees with what clients read.
 */
export function bsonTypeName(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 && !Object.is(v, -0) ? 'int' : 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'long';
    case 'function':
      return 'javascript';
    default:
      break;
  }
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  const tag = bsonTypeOf(v as object);
  return (tag && TAG_TO_TYPE[tag]) ?? 'object';
}

/** Numeric `$type` aliases (BSON type bytes) → names. */
export const BSON_TYPE_ALIASES: Record<number, string> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  13: 'javascript',
  14: 'symbol',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
  [-1]: 'minKey',
  127: 'maxKey',
};

/**
 * Deep copy of a document. BSON value classes are immutable in practice and
 * shared; only containers and Dates are copied, which is what protects the
 * stored documents from mingo operators that mutate their input.
 */
export function cloneDocument<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneDocument) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (!isPlainObject(v)) return v;
  const out: Document = {};
  for (const key of Object.keys(v)) out[key] = cloneDocument((v as Document)[key]);
  return out as T;
}

/**
 * All values an index on `path` holds for `doc` (MongoDB multikey rules:
 * arrays fan out, missing becomes null, an empty array is its own key).
 */
export function indexedValues(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out);
  return out;
}

const EMPTY_ARRAY_MARK: unknown[] = [];

function collect(value: unknown, parts: string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (!Array.isArray(value)) out.push(value);
    else if (value.length === 0) out.push(EMPTY_ARRAY_MARK);
    else for (const el of value) out.push(el);
    return;
  }
  const part = parts[i] as string;
  if (Array.isArray(value)) {
    const numeric = /^\d+$/.test(part);
    // "a.0.b" addresses the first element (and fields literally named "0").
    if (numeric) collect(value[Number(part)], parts, i + 1, out);
    const objects = value.filter((el) => isPlainObject(el) && (!numeric || part in el));
    for (const el of objects) collect(el, parts, i, out);
    if (!numeric && objects.length === 0) out.push(undefined);
    return;
  }
  if (isPlainObject(value)) collect(value[part], parts, i + 1, out);
  else out.push(undefined);
}

/** Value at a dotted path without array fan-out (undefined when absent). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Document)[part];
  }
  return cur;
}

/** Sets a dotted path, creating intermediate objects (used for upsert seeds). */
export function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Document = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    if (!isPlainObject(cur[part]) && !Array.isArray(cur[part])) cur[part] = {};
    cur = cur[part] as Document;
  }
  cur[parts[parts.length - 1] as string] = value;
}
