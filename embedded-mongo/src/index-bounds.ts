/**
 * Reads a filter the way an index planner needs it: per top-level field
 * (also inside a top-level `$and`), either an equality (value list, from
 * plain values, `$eq` or `$in`) or a range (`$gt/$gte/$lt/$lte`). Anything
 * else is left to mingo. The resulting bounds are always a superset of the
 * documents that can match, since mingo re-checks every candidate.
 */
import type { Document } from 'bson';
import { isPlainObject, valueKey } from './bson-values.ts';
import type { KeyRange } from './sorted-keys.ts';
import { compareValues } from './sorted-keys.ts';

/** What a filter says about one field. */
export type FieldCondition =
  { kind: 'eq'; values: unknown[]; keys: string[] } | { kind: 'range'; low?: KeyRange['low']; high?: KeyRange['high'] };

/** Values an equality can be looked up with in an index (not arrays, regexes or operator objects). */
function indexableValue(v: unknown): boolean {
  if (Array.isArray(v) || v instanceof RegExp || v === undefined) return false;
  return !(isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$')));
}

function eqCondition(values: unknown[]): FieldCondition | null {
  if (!values.every(indexableValue)) return null;
  return { kind: 'eq', values, keys: values.map(valueKey) };
}

/** The loosest bound of several (keeps the candidate set a superset). */
function looser(a: KeyRange['low'], b: KeyRange['low'], pickLower: boolean): KeyRange['low'] {
  if (!a) return b;
  if (!b) return a;
  const c = compareValues(a.value, b.value);
  if (c === 0) return { value: a.value, inclusive: a.inclusive || b.inclusive };
  return c < 0 === pickLower ? a : b;
}

function classify(cond: unknown): FieldCondition | null {
  if (!isPlainObject(cond) || !Object.keys(cond).some((k) => k.startsWith('$'))) return eqCondition([cond]);
  if ('$eq' in cond) {
    const eq = eqCondition([cond.$eq]);
    if (eq) return eq;
  }
  if (Array.isArray(cond.$in) && cond.$in.length > 0) {
    const eq = eqCondition(cond.$in);
    if (eq) return eq;
  }
  let low: KeyRange['low'];
  let high: KeyRange['high'];
  for (const [op, value] of Object.entries(cond)) {
    if (!indexableValue(value)) continue;
    if (op === '$gt' || op === '$gte') low = looser(low, { value, inclusive: op === '$gte' }, true);
    if (op === '$lt' || op === '$lte') high = looser(high, { value, inclusive: op === '$lte' }, false);
  }
  if (low || high) return { kind: 'range', low, high };
  return cond.$exists === true ? { kind: 'range' } : null;
}

/** Conditions per field; an equality wins over a range on the same field. */
export function fieldConditions(
  filter: Document,
  out = new Map<string, FieldCondition>(),
): Map<string, FieldCondition> {
  for (const [field, cond] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainObject(sub)) fieldConditions(sub, out);
      continue;
    }
    if (field.startsWith('$')) continue;
    const c = classify(cond);
    if (c && (out.get(field)?.kind !== 'eq' || c.kind === 'eq')) out.set(field, c);
  }
  return out;
}

/**
 * Bounds over an index's fields: single-value equalities on a prefix, then
 * an optional range on the next field. Null when the index gives no
 * ordering benefit beyond its leading-field hash. On multikey indexes only
 * the lower bound is used: `{a: {$gt: 3, $lt: 5}}` matches `[1, 10]`.
 */
export function rangeForIndex(
  fields: string[],
  conds: Map<string, FieldCondition>,
  multiKey: boolean,
): KeyRange | null {
  const eq: unknown[] = [];
  for (const field of fields) {
    const cond = conds.get(field);
    if (cond?.kind === 'eq' && cond.values.length === 1) {
      eq.push(cond.values[0]);
      continue;
    }
    if (cond?.kind === 'range' && (cond.low || cond.high)) {
      const low = cond.low;
      const high = multiKey ? undefined : cond.high;
      if (!low && !high) break;
      return { eq, ...(low ? { low } : {}), ...(high ? { high } : {}) };
    }
    break;
  }
  return eq.length >= 2 ? { eq } : null;
}
