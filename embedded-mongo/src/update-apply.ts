/**
 * Turns an update specification (operators, replacement document or
 * pipeline) into a new document, with the parts mingo does not cover:
 * `$setOnInsert`, upsert seeding from the query and `_id` immutability
 * (number types of `$inc`/`$mul`/`$max`/`$min`: typed-update.ts).
 */
import { ObjectId, type Document } from 'bson';
import { bsonTypeName, cloneDocument, isPlainObject, setPath, valueKey } from './bson-values.ts';
import { ErrorCode, fail } from './errors.ts';
import { applyOperators, applyPipelineUpdate } from './mingo-engine.ts';
import { sameTypes } from './numbers.ts';

/** Kind of update, decided once per statement. */
export type UpdateKind = 'operators' | 'replacement' | 'pipeline';

/** Validates `u` and classifies it (codes match mongod's FailedToParse cases). */
export function classifyUpdate(u: unknown, multi: boolean): UpdateKind {
  if (Array.isArray(u)) return 'pipeline';
  if (!isPlainObject(u)) fail(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  if (keys.length === 0 || !(keys[0] as string).startsWith('$')) {
    const bad = keys.find((k) => k.startsWith('$'));
    if (bad)
      fail(
        ErrorCode.DollarPrefixedFieldName,
        `The dollar ($) prefixed field '${bad}' in '${bad}' is not allowed in the context of an update's replacement document.`,
      );
    if (multi) fail(ErrorCode.FailedToParse, 'multi update is not supported for replacement-style update');
    return 'replacement';
  }
  for (const key of keys) {
    if (!key.startsWith('$'))
      fail(
        ErrorCode.FailedToParse,
        `Unknown modifier: ${key}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    const operand = u[key];
    if (!isPlainObject(operand)) {
      fail(
        ErrorCode.FailedToParse,
        `Modifiers operate on fields but we found type ${bsonTypeName(operand)} instead. For example: {$mod: {<field>: ...}} not {${key}: ${bsonTypeName(operand)}}`,
      );
    }
  }
  return 'operators';
}

/**
 * Like mongod's update parser: every array filter names one identifier, each identifier is
 * used by some `$[identifier]` path of the update, and pipelines take none (FailedToParse).
 */
export function checkArrayFilters(u: unknown, arrayFilters: Document[]): void {
  if (arrayFilters.length === 0) return;
  if (Array.isArray(u)) fail(ErrorCode.FailedToParse, 'arrayFilters may not be specified for pipeline-style updates');
  const used = new Set<string>();
  for (const fields of Object.values(u as Document)) {
    if (!isPlainObject(fields)) continue;
    for (const path of Object.keys(fields)) for (const m of path.matchAll(/\$\[([^\]]+)\]/g)) used.add(m[1] as string);
  }
  for (const filter of arrayFilters) {
    const ids = new Set(Object.keys(filter).map((k) => k.split('.')[0] as string));
    if (ids.size !== 1)
      fail(
        ErrorCode.FailedToParse,
        'Error parsing array filter :: caused by :: Expected a single top-level field name',
      );
    const [id] = ids as Set<string>;
    if (!used.has(id as string))
      fail(
        ErrorCode.FailedToParse,
        `The array filter for identifier '${id as string}' was not used in the update ${JSON.stringify(u)}`,
      );
  }
}

/** Options of {@link applyUpdate}. */
export interface ApplyOptions {
  kind: UpdateKind;
  arrayFilters?: Document[];
  /** The statement's filter (positional `$` needs it). */
  query: Document;
  /** True when building the document an upsert inserts. */
  inserting?: boolean;
}

/** Returns the updated copy of `doc`; `doc` itself is never modified. */
export function applyUpdate(doc: Document, u: Document | Document[], opts: ApplyOptions): Document {
  let next: Document;
  if (opts.kind === 'replacement') {
    const replacement = u as Document;
    if ('_id' in replacement && doc._id !== undefined && valueKey(replacement._id) !== valueKey(doc._id)) {
      fail(
        ErrorCode.ImmutableField,
        `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${JSON.stringify(replacement._id)}`,
      );
    }
    const { _id: _ignored, ...rest } = cloneDocument(replacement);
    next = doc._id === undefined ? rest : { _id: doc._id, ...rest };
  } else if (opts.kind === 'pipeline') {
    next = applyPipelineUpdate(cloneDocument(doc), u as Document[]);
  } else {
    const { $setOnInsert, ...modifier } = u as Document;
    if (opts.inserting && isPlainObject($setOnInsert)) {
      const set = { ...(modifier.$set as Document | undefined) };
      for (const [path, value] of Object.entries($setOnInsert)) {
        if (path in set)
          fail(
            ErrorCode.ConflictingUpdateOperators,
            `Updating the path '${path}' would create a conflict at '${path}'`,
          );
        set[path] = value;
      }
      modifier.$set = set;
    }
    next = cloneDocument(doc);
    if (Object.keys(modifier).length > 0)
      applyOperators(next, modifier, opts.arrayFilters ?? [], opts.inserting ? {} : opts.query, doc);
  }
  if (doc._id !== undefined && valueKey(next._id) !== valueKey(doc._id)) {
    fail(ErrorCode.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return next;
}

/** True if the update changed anything, a number's type included (mongod's nModified semantics). */
export function isModified(before: Document, after: Document): boolean {
  return differs(before, after);
}

/**
 * `valueKey(a) !== valueKey(b) || !sameTypes(a, b)`, walked field by field so that what an
 * update left alone (the same value, or the same object) is never serialised: most updates
 * touch a few fields of a large document.
 */
function differs(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return false; // not ===: 0 and -0 are an int and a double
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return true;
    for (let i = 0; i < ka.length; i++) {
      const k = ka[i]!;
      if (k !== kb[i] || differs(a[k], b[k])) return true;
    }
    return false;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return true;
    for (let i = 0; i < a.length; i++) if (differs(a[i], b[i])) return true;
    return false;
  }
  return valueKey(a) !== valueKey(b) || !sameTypes(a, b);
}

/**
 * The document an upsert inserts: equality fields of the query (including
 * `$and` branches and `$eq`), then the update applied, `_id` first.
 */
export function buildUpsertDocument(query: Document, u: Document | Document[], opts: ApplyOptions): Document {
  const seed: Document = {};
  const seen = new Set<string>();
  const walk = (q: Document): void => {
    for (const [path, cond] of Object.entries(q)) {
      if (path === '$and' && Array.isArray(cond)) cond.filter(isPlainObject).forEach(walk);
      if (path.startsWith('$')) continue;
      let value: unknown = cond;
      if (isPlainObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'))) {
        if ('$eq' in cond) value = cond.$eq;
        else if (Array.isArray(cond.$in) && cond.$in.length === 1) value = cond.$in[0];
        else continue;
      }
      if (seen.has(path))
        fail(ErrorCode.NotSingleValueField, `cannot infer query fields to set, path '${path}' is matched twice`);
      seen.add(path);
      setPath(seed, path, cloneDocument(value));
    }
  };
  if (opts.kind !== 'replacement') walk(query);
  else if ('_id' in query && !isPlainObject(query._id)) seed._id = query._id;
  const built = applyUpdate(seed, u, { ...opts, inserting: true });
  // `_id: null` is a value like any other (mongod stores it), so test presence, not nullishness.
  const has = (d: unknown): d is Document => isPlainObject(d) && '_id' in d && d._id !== undefined;
  const replacement = opts.kind === 'replacement' ? (u as Document) : undefined;
  const id = has(built) ? built._id : has(replacement) ? replacement._id : has(seed) ? seed._id : new ObjectId();
  const { _id: _drop, ...rest } = built;
  return { _id: id, ...rest };
}
