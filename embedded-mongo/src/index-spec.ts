/**
 * Index specifications: validation of `createIndexes` input, default names
 * and the equivalence rules mongod uses to decide between "already exists",
 * IndexOptionsConflict (85) and IndexKeySpecsConflict (86).
 */
import type { Document } from 'bson';
import { isPlainObject, valueKey } from './bson-values.ts';
import { ErrorCode, fail } from './errors.ts';

/** A normalised index description, as stored and as listed by listIndexes. */
export interface IndexSpec {
  v: number;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  /** Other options (collation, hidden…) are stored and listed but not enforced. */
  [option: string]: unknown;
}

/** The implicit `_id_` index every collection has. */
export const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/** mongod's generated name: `{a: 1, b: -1}` → `a_1_b_-1`. */
export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([field, dir]) => `${field}_${String(dir)}`)
    .join('_');
}

const IGNORED_OPTIONS = new Set(['background', 'ns', 'v']);

/** Validates one entry of `createIndexes.indexes` and returns it normalised. */
export function normalizeIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw)) fail(ErrorCode.TypeMismatch, 'index specification must be an object');
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    fail(ErrorCode.CannotCreateIndex, "Index key pattern must be a non-empty object ('key' field)");
  }
  for (const [field, dir] of Object.entries(key)) {
    if (field === '' || field.startsWith('$'))
      fail(ErrorCode.CannotCreateIndex, `Index key contains an illegal field name: ${field}`);
    const numeric = typeof dir === 'number' && dir !== 0 && Number.isFinite(dir);
    if (!numeric && dir !== 'hashed') {
      fail(
        ErrorCode.CannotCreateIndex,
        `Values in the index key pattern can only be numbers or 'hashed' in the embedded server, found ${JSON.stringify(dir)} for ${field}`,
      );
    }
  }
  const spec: IndexSpec = {
    v: 2,
    key: { ...key },
    name: typeof raw.name === 'string' && raw.name ? raw.name : defaultIndexName(key),
  };
  for (const [option, value] of Object.entries(raw)) {
    if (option === 'key' || option === 'name' || IGNORED_OPTIONS.has(option)) continue;
    spec[option] = value;
  }
  if (spec.unique === false) delete spec.unique;
  if (spec.sparse === false) delete spec.sparse;
  if (spec.partialFilterExpression !== undefined) {
    if (!isPlainObject(spec.partialFilterExpression))
      fail(ErrorCode.TypeMismatch, 'partialFilterExpression must be an object');
    if (spec.sparse) fail(ErrorCode.CannotCreateIndex, 'cannot mix "partialFilterExpression" and "sparse" options');
  }
  if (spec.expireAfterSeconds !== undefined) {
    const ttl = spec.expireAfterSeconds;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
      fail(ErrorCode.CannotCreateIndex, "TTL index 'expireAfterSeconds' option must be a non-negative number");
    }
    if (Object.keys(key).length !== 1)
      fail(ErrorCode.CannotCreateIndex, 'TTL indexes are single-field indexes, compound indexes do not support TTL');
  }
  if (spec.name === '_id_' && defaultIndexName(key) !== '_id_1') {
    fail(
      ErrorCode.BadValue,
      "The index name '_id_' is reserved for the _id index, which must have key pattern {_id: 1}",
    );
  }
  return spec;
}

/** Stable identity of a key pattern (field order matters, as in mongod). */
export function keyPatternId(key: Document): string {
  return valueKey(
    Object.fromEntries(Object.entries(key).map(([f, d]) => [f, typeof d === 'number' ? Math.sign(d) : d])),
  );
}

const optionsId = (s: IndexSpec): string =>
  valueKey([!!s.unique, !!s.sparse, s.partialFilterExpression ?? null, s.expireAfterSeconds ?? null]);

/**
 * Decides what `createIndexes` does with `wanted` given `existing`:
 * 'exists' (no-op) or throws the conflict error mongod would return.
 */
export function compareWithExisting(wanted: IndexSpec, existing: IndexSpec): 'exists' | 'different' {
  const sameKey = keyPatternId(wanted.key) === keyPatternId(existing.key);
  const sameName = wanted.name === existing.name;
  if (!sameKey && !sameName) return 'different';
  if (sameName && !sameKey) {
    fail(
      ErrorCode.IndexKeySpecsConflict,
      `An existing index has the same name as the requested index. Requested index: ${describe(wanted)}, existing index: ${describe(existing)}`,
    );
  }
  if (optionsId(wanted) !== optionsId(existing)) {
    if (!sameName) return 'different';
    fail(
      ErrorCode.IndexOptionsConflict,
      `An equivalent index already exists with the same name but different options. Requested index: ${describe(wanted)}, existing index: ${describe(existing)}`,
    );
  }
  if (!sameName) fail(ErrorCode.IndexOptionsConflict, `Index already exists with a different name: ${existing.name}`);
  return 'exists';
}

function describe(spec: IndexSpec): string {
  return `{ v: 2, key: ${JSON.stringify(spec.key)}, name: "${spec.name}" }`;
}
