/**
 * `$type` for queries and expressions with MongoDB's type names.
 *
 * mingo names BSON classes after their JS constructor ("objectid",
 * "binary", …) and its query `$type` has no entry for objectId/binData/
 * decimal, so `{_id: {$type: "objectId"}}` matched nothing. We classify
 * with {@link bsonTypeName}, which knows every BSON type we can store.
 */
import { evalExpr } from 'mingo/core';
import type { Options } from 'mingo/types';
import { resolve } from 'mingo/util';
import { BSON_TYPE_ALIASES, bsonTypeName } from './bson-values.ts';
import { fail } from './errors.ts';
import { sourceOf } from './numbers.ts';

const NUMERIC = new Set(['double', 'int', 'long', 'decimal']);

function wantedTypes(spec: unknown): Set<string> {
  const list = Array.isArray(spec) ? spec : [spec];
  const out = new Set<string>();
  for (const t of list) {
    if (typeof t === 'number') {
      const name = BSON_TYPE_ALIASES[t];
      if (!name) fail(2, `Invalid numerical type code: ${t}`);
      out.add(name);
    } else if (typeof t === 'string') {
      if (t !== 'number' && !Object.values(BSON_TYPE_ALIASES).includes(t)) fail(2, `Unknown type name alias: ${t}`);
      out.add(t);
    } else {
      fail(14, 'type must be represented as a number or a string');
    }
  }
  return out;
}

function typeMatches(v: unknown, wanted: Set<string>): boolean {
  const name = bsonTypeName(v);
  if (name === 'missing') return false;
  return wanted.has(name) || (wanted.has('number') && NUMERIC.has(name));
}

/** Query operator: `{field: {$type: <name|code|[...]>}}`. */
export function $typeQuery(selector: string, value: unknown, _options: Options): (obj: unknown) => boolean {
  const wanted = wantedTypes(value);
  return (obj: unknown) => {
    // On a numeric view, read the stored document: its Double/Long wrappers are the types.
    const v = resolve(sourceOf(obj) as Record<string, unknown>, selector, { unwrapArray: true });
    if (Array.isArray(v)) return wanted.has('array') || v.some((el) => typeMatches(el, wanted));
    return typeMatches(v, wanted);
  };
}

/** Aggregation expression: `{$type: <expr>}` → "objectId", "int", "missing", … */
export function $typeExpr(obj: unknown, expr: unknown, options: Options): string {
  const arg = Array.isArray(expr) && expr.length === 1 ? (expr[0] as unknown) : expr;
  const source = sourceOf(obj);
  if (source !== obj && typeof arg === 'string' && /^\$[^$]/.test(arg))
    return bsonTypeName(resolve(source as Record<string, unknown>, arg.slice(1)));
  return bsonTypeName(evalExpr(obj, arg, options));
}
