/**
 * Chooses how to produce candidate documents for a filter.
 *
 * Equality and `$in` on `_id` or on the leading field of an index are
 * answered from the hash maps; equality prefixes plus a range on the next
 * index field from the ordered view. mingo then evaluates the full filter on
 * that (small) candidate set, so bounds only need to be a superset.
 */
import type { Document } from 'bson';
import { isPlainObject } from './bson-values.ts';
import type { Collection } from './collection.ts';
import type { CollectionIndex } from './collection-index.ts';
import { ErrorCode, fail } from './errors.ts';
import { fieldConditions, rangeForIndex } from './index-bounds.ts';
import { ID_INDEX, keyPatternId } from './index-spec.ts';

/** How a query will be executed (also the basis of explain output). */
export interface QueryPlan {
  stage: 'EOF' | 'COLLSCAN' | 'IXSCAN' | 'IDHACK' | 'OR';
  /** For OR: the plan of each `$or` branch (each narrowed by an index). */
  branches?: QueryPlan[];
  indexName?: string;
  keyPattern?: Document;
  multiKey?: boolean;
  /** Documents to test with the full filter. */
  candidates: Iterable<Document>;
  /** Index keys looked up (explain's totalKeysExamined). */
  keysExamined: number;
}

/** Below this many hash hits, filtering them beats consulting the ordered view. */
const SMALL_CANDIDATE_SET = 16;

/** The index a `hint` names; 'natural' for `{$natural: ±1}` (forced collection scan). */
function resolveHint(coll: Collection, hint: unknown): CollectionIndex | 'id' | 'natural' | null {
  if (hint === undefined || hint === null) return null;
  if (isPlainObject(hint) && Object.keys(hint).length === 0) return null;
  if (isPlainObject(hint) && '$natural' in hint) return 'natural';
  const byName = typeof hint === 'string' ? hint : null;
  if (byName === '_id_' || (isPlainObject(hint) && keyPatternId(hint) === keyPatternId(ID_INDEX.key))) return 'id';
  const index = coll
    .secondaryIndexes()
    .find((i) => (byName ? i.name === byName : isPlainObject(hint) && keyPatternId(i.spec.key) === keyPatternId(hint)));
  if (!index)
    fail(
      ErrorCode.BadValue,
      'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index',
    );
  return index;
}

/**
 * Indexes in the order worth trying: most leading fields bound by the filter first, so the
 * most selective read usually comes first and the others can stop early.
 */
function byBoundFields(indexes: CollectionIndex[], conds: Map<string, unknown>): CollectionIndex[] {
  const bound = (i: CollectionIndex) => {
    let n = 0;
    while (n < i.fields.length && conds.has(i.fields[n] as string)) n++;
    return n;
  };
  return indexes.length < 2 ? indexes : [...indexes].sort((a, b) => bound(b) - bound(a));
}

/** Plans a query over `coll` (undefined = missing collection → EOF). */
export function planQuery(
  coll: Collection | undefined,
  filter: Document,
  opts: { hint?: unknown; sort?: Document } = {},
): QueryPlan {
  if (!coll) return { stage: 'EOF', candidates: [], keysExamined: 0 };
  const conds = fieldConditions(filter);
  const hinted = resolveHint(coll, opts.hint);
  if (hinted === 'natural') return { stage: 'COLLSCAN', candidates: coll.docs.values(), keysExamined: 0 };
  const idCond = conds.get('_id');
  if ((hinted === null || hinted === 'id') && idCond?.kind === 'eq') {
    const docs = idCond.keys.map((k) => coll.docs.get(k)).filter((d): d is Document => d !== undefined);
    return {
      stage: 'IDHACK',
      indexName: '_id_',
      keyPattern: ID_INDEX.key,
      candidates: docs,
      keysExamined: idCond.keys.length,
    };
  }
  if (hinted === null && Array.isArray(filter.$or)) {
    const union = planOr(coll, filter);
    if (union) return union;
  }
  let best: { index: CollectionIndex; ids: string[] } | null = null;
  let rangeIndex: CollectionIndex | null = null;
  for (const index of byBoundFields(coll.secondaryIndexes(), conds)) {
    if ((hinted !== null && hinted !== index) || !index.servesEquality) continue;
    const leading = conds.get(index.fields[0] as string);
    const range = rangeForIndex(index.fields, conds, index.multiKey);
    // A sparse index has no entry for missing fields, so it cannot answer `null`.
    const sparseNull = (values: unknown[]): boolean => !!index.spec.sparse && values.some((v) => v === null);
    let ids: string[] | null = null;
    const leadingEq = leading?.kind === 'eq' && !sparseNull(leading.values) ? leading.keys : null;
    // Counted first: a list of every id of a common value is not built just to be discarded.
    const count = leadingEq ? index.lookupCount(leadingEq) : Infinity;
    // The ordered view pays off only when the leading value alone is not selective.
    // A range read stops early once it is no better than the best index so far.
    if (range && !sparseNull(range.eq) && count > SMALL_CANDIDATE_SET)
      ids = index.rangeLookup(range, coll.docs, best ? best.ids.length : Infinity);
    else if (leadingEq && (!best || count < best.ids.length || (count === best.ids.length && index.spec.unique)))
      ids = index.lookup(leadingEq);
    if (ids === null && leading?.kind === 'range') rangeIndex ??= index;
    if (ids && (!best || ids.length < best.ids.length || (ids.length === best.ids.length && index.spec.unique))) {
      best = { index, ids };
    }
  }
  if (best) {
    const docs = best.ids.map((id) => coll.docs.get(id)).filter((d): d is Document => d !== undefined);
    return {
      stage: 'IXSCAN',
      indexName: best.index.name,
      keyPattern: best.index.spec.key,
      multiKey: best.index.multiKey,
      candidates: docs,
      keysExamined: best.ids.length,
    };
  }
  // No narrowing possible: mongod would still walk an index for a range on
  // an indexed leading field (or to provide the sort order); we report that
  // index and scan, letting mingo filter.
  const sortField = opts.sort ? Object.keys(opts.sort)[0] : undefined;
  const scan: CollectionIndex | 'id' | null =
    hinted ??
    rangeIndex ??
    (idCond?.kind === 'range' ? 'id' : null) ??
    coll.secondaryIndexes().find((i) => i.servesEquality && i.fields[0] === sortField) ??
    (sortField === '_id' ? 'id' : null);
  if (scan) {
    const index = scan === 'id' ? null : scan;
    return {
      stage: 'IXSCAN',
      indexName: index ? index.name : '_id_',
      keyPattern: index ? index.spec.key : ID_INDEX.key,
      multiKey: index?.multiKey ?? false,
      candidates: coll.docs.values(),
      keysExamined: coll.docs.size,
    };
  }
  return { stage: 'COLLSCAN', candidates: coll.docs.values(), keysExamined: 0 };
}

/**
 * `{..., $or: [b1, b2, ...]}` where every branch, with the conditions beside the `$or`, is
 * narrowed by an index: the union of the branches' candidates, each document once, as mongod's
 * OR stage does. Null when some branch would need a full scan (then one scan serves all).
 */
function planOr(coll: Collection, filter: Document): QueryPlan | null {
  const { $or: branches, ...rest } = filter;
  const plans: QueryPlan[] = [];
  for (const branch of branches as unknown[]) {
    if (!isPlainObject(branch)) return null;
    const plan = planQuery(coll, { ...rest, ...branch });
    const narrowed = plan.stage === 'IDHACK' || (plan.stage === 'IXSCAN' && plan.keysExamined < coll.docs.size);
    if (!narrowed) return null;
    plans.push(plan);
  }
  const seen = new Set<Document>();
  const candidates: Document[] = [];
  for (const plan of plans)
    for (const doc of plan.candidates)
      if (!seen.has(doc)) {
        seen.add(doc);
        candidates.push(doc);
      }
  const keysExamined = plans.reduce((n, p) => n + p.keysExamined, 0);
  return { stage: 'OR', branches: plans, candidates, keysExamined };
}
