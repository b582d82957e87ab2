import type { Document } from 'bson';
import { cloneDocument, isPlainObject } from './bson-values.ts';
import { addPlainNumbers } from './number-arith.ts';

/**
 * A fast path for the plainest update documents, which are most of a hub's writes: `$set`,
 * `$inc`, `$max`, `$min` and `$push` (a value, or `{$each: [...]}`) on top-level fields, with
 * plain numbers and dates. mingo's updater copies its operator tables into a fresh context on
 * every call, which cost a third of an in-process hub's CPU under load. Anything else (dotted
 * or positional paths, `_id`, other operators or modifiers, other types, a path named twice,
 * an empty operand) answers false and goes to mingo, so the semantics stay mingo's. `$inc`
 * follows MongoDB's number types like the general path (number-arith.ts).
 */
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPERATORS = new Set(['$set', '$inc', '$max', '$min', '$push']);

type Comparable = number | Date;
const comparable = (a: unknown, b: unknown): [Comparable, Comparable] | null =>
  (typeof a === 'number' && typeof b === 'number') || (a instanceof Date && b instanceof Date) ? [a, b] : null;
const asNumber = (v: Comparable) => (typeof v === 'number' ? v : v.getTime());

/**
 * `$push` modifiers the fast path takes: `$each`, plus `$slice` (an integer) and `$sort` (1 or
 * -1) when every element, old and new, is a plain number, as in a bounded window of seqs.
 */
function pushModifiersFit(value: Document, cur: unknown): boolean {
  if (!Array.isArray(value.$each)) return false;
  for (const k of Object.keys(value)) if (k !== '$each' && k !== '$sort' && k !== '$slice') return false;
  if ('$slice' in value && !Number.isInteger(value.$slice)) return false;
  if (!('$sort' in value)) return true;
  const numbers = (a: unknown[]) => a.every((v) => typeof v === 'number' && !Number.isNaN(v));
  return (value.$sort === 1 || value.$sort === -1) && numbers(value.$each) && numbers((cur as unknown[]) ?? []);
}

/** Checks that `modifier` fits the fast path; applies it to `doc` in place and answers true if so. */
export function tryFastUpdate(doc: Document, modifier: Document): boolean {
  const seen = new Set<string>();
  for (const [op, fields] of Object.entries(modifier)) {
    if (!OPERATORS.has(op) || !isPlainObject(fields)) return false;
    const entries = Object.entries(fields);
    if (entries.length === 0) return false;
    for (const [path, value] of entries) {
      if (!FIELD.test(path) || path === '_id' || seen.has(path)) return false;
      seen.add(path);
      const cur = doc[path];
      if (op === '$inc' && !(typeof value === 'number' && (cur === undefined || typeof cur === 'number'))) return false;
      if ((op === '$max' || op === '$min') && cur !== undefined && !comparable(cur, value)) return false;
      if (op === '$max' || op === '$min') {
        if (!(typeof value === 'number' || value instanceof Date)) return false;
      }
      if (op === '$push') {
        if (cur !== undefined && !Array.isArray(cur)) return false;
        if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$')) && !pushModifiersFit(value, cur))
          return false;
      }
    }
  }
  for (const [op, fields] of Object.entries(modifier)) {
    for (const [path, value] of Object.entries(fields as Document)) {
      const cur: unknown = doc[path];
      switch (op) {
        case '$set':
          doc[path] = cloneDocument(value);
          break;
        case '$inc':
          doc[path] = cur === undefined ? value : addPlainNumbers(cur as number, value as number);
          break;
        case '$max':
        case '$min': {
          const pair = cur === undefined ? null : comparable(cur, value)!;
          const replace =
            pair === null ||
            (op === '$max' ? asNumber(pair[1]) > asNumber(pair[0]) : asNumber(pair[1]) < asNumber(pair[0]));
          if (replace) doc[path] = cloneDocument(value);
          break;
        }
        case '$push': {
          const mods = isPlainObject(value) && '$each' in value ? value : null;
          let arr = (cur as unknown[] | undefined) ?? [];
          for (const item of mods ? (mods.$each as unknown[]) : [value]) arr.push(cloneDocument(item));
          // MongoDB's order: push, then sort, then slice.
          if (mods?.$sort !== undefined) (arr as number[]).sort((a, b) => (a - b) * (mods.$sort as number));
          if (typeof mods?.$slice === 'number')
            arr = mods.$slice >= 0 ? arr.slice(0, mods.$slice) : arr.slice(mods.$slice);
          doc[path] = arr;
          break;
        }
      }
    }
  }
  return true;
}
