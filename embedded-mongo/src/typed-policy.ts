/**
 * Projections and pipelines over documents holding kept number wrappers (numbers.ts). mingo
 * works on their numeric views; this module decides what it may do there, and gives the
 * stored types back to what comes out.
 *
 * - A find projection that only selects (flags, `$slice`) runs on the stored documents;
 *   `$elemMatch`, positional `$` and expressions would pick by comparing views, and are
 *   refused (NotImplemented) over such documents.
 * - A wrapper written as a literal in a stage other than `$match`/`$sort`/`$skip`/`$limit` is
 *   refused: mingo would compute with it, and output it, as a JS number.
 * - In a pipeline's output, a (sub)document that left its view unchanged is the stored one
 *   again, and a changed one gets back each stored wrapper whose number it still holds at the
 *   same place. Numbers computed by expressions follow JS numbers (see README), except for the
 *   `$group` accumulators of typed-accumulators.ts.
 */
import type { Document } from 'bson';
import { isPlainObject, valueKey } from './bson-values.ts';
import { ErrorCode, fail } from './errors.ts';
import { hasTypedNumbers, isTypedNumber, toNumber, viewSource } from './numbers.ts';

const refuse = (what: string): never =>
  fail(
    ErrorCode.NotImplemented,
    `${what} over values holding whole-number doubles or 64-bit integers is not supported by the embedded server`,
  );

/** Refuses a projection of typed documents unless it only selects fields (flags, `$slice`). */
export function checkTypedProjection(projection: Document): void {
  const selects = Object.entries(projection).every(
    ([path, v]) =>
      !path.includes('$') &&
      (typeof v === 'number' ||
        typeof v === 'boolean' ||
        (isPlainObject(v) && Object.keys(v).length === 1 && '$slice' in v)),
  );
  if (!selects) refuse('a projection with operators or expressions');
}

const COMPARE_ONLY = new Set(['$match', '$sort', '$skip', '$limit']);

/** Refuses wrappers written as literals where mingo would output or compute with them. */
export function checkTypedLiterals(stages: Document[]): void {
  for (const stage of stages) {
    const [name, spec] = Object.entries(stage)[0] as [string, unknown];
    if (!COMPARE_ONLY.has(name) && hasTypedNumbers(spec))
      fail(
        ErrorCode.NotImplemented,
        `a whole-number double or 64-bit integer literal in ${name} is not supported by the embedded server`,
      );
  }
}

/** Stages whose output document i is input document i, changed or not. */
const SAME_DOCUMENT = new Set([...COMPARE_ONLY, '$project', '$addFields', '$set', '$unset']);

/**
 * Gives stored types back to a pipeline's output. `typed` are the stored documents that went
 * in as views; an output document that is not a view itself is matched to one by `_id` when
 * every stage keeps documents apart.
 */
export function restoreTypes(out: Document[], typed: Document[], stages: Document[]): Document[] {
  const sameDocs = stages.every((s) => SAME_DOCUMENT.has(Object.keys(s)[0] as string));
  const byId = sameDocs ? new Map(typed.map((d) => [valueKey(d._id), d])) : null;
  return out.map((doc) => restore(doc, viewSource(doc) ?? byId?.get(valueKey(doc._id))) as Document);
}

/** Restores one value against the stored value at the same place (undefined when none). */
export function restore(v: unknown, stored: unknown): unknown {
  if (typeof v === 'number') return isTypedNumber(stored) && toNumber(stored) === v ? stored : v;
  if (typeof v !== 'object' || v === null) return v;
  const source = viewSource(v);
  if (source && valueKey(v) === valueKey(source)) return source;
  const from = source ?? stored;
  if (Array.isArray(v)) v.forEach((el, i) => (v[i] = restore(el, Array.isArray(from) ? from[i] : undefined)));
  else if (isPlainObject(v))
    for (const k of Object.keys(v)) v[k] = restore(v[k], isPlainObject(from) ? from[k] : undefined);
  return v;
}
