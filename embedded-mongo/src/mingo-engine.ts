/**
 * The single place where we configure mingo.
 *
 * All operators are loaded into one Context, with our MongoDB-faithful
 * replacements registered first (Context keeps the first registration of a
 * name). Everything else in the server goes through these helpers so that
 * mingo errors become MongoDB error codes consistently.
 */
import type { Document } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { Context, computeValue } from 'mingo/core';
import * as accumulatorOps from 'mingo/operators/accumulator';
import * as expressionOps from 'mingo/operators/expression';
import * as pipelineOps from 'mingo/operators/pipeline';
import * as projectionOps from 'mingo/operators/projection';
import * as queryOps from 'mingo/operators/query';
import * as windowOps from 'mingo/operators/window';
import { Query } from 'mingo/query';
import type { AnyObject, Options } from 'mingo/types';
import { update as mingoUpdate } from 'mingo/updater';
import { cloneDocument } from './bson-values.ts';
import { $dateToString, $dateTrunc, $isoWeekYear } from './date-ops.ts';
import { ErrorCode, fail, toMongoError } from './errors.ts';
import { compileFastFilter } from './fast-filter.ts';
import { tryFastUpdate } from './fast-update.ts';
import { hasTypedNumbers, numericView, plainNumbers, sourceOf, typedDocsExist, viewOf } from './numbers.ts';
import { $typeExpr, $typeQuery } from './type-ops.ts';
import { accumulators as typedAccumulators, expressions as typedExpressions } from './typed-accumulators.ts';
import { checkTypedLiterals, checkTypedProjection, restore } from './typed-policy.ts';
import { planTypedUpdate } from './typed-update.ts';

type OpMap<T> = Record<`$${string}`, T>;
type Ops = NonNullable<Parameters<typeof Context.init>[0]>;

const overrides = Context.init({
  accumulator: typedAccumulators as unknown as Ops['accumulator'],
  expression: {
    $dateTrunc,
    $dateToString,
    $isoWeekYear,
    $type: $typeExpr,
    ...typedExpressions,
  } as unknown as Ops['expression'],
  query: { $type: $typeQuery } as unknown as Ops['query'],
});

const CONTEXT = Context.from(
  overrides,
  Context.init({
    accumulator: accumulatorOps as unknown as OpMap<never>,
    expression: expressionOps as unknown as OpMap<never>,
    pipeline: pipelineOps as unknown as OpMap<never>,
    projection: projectionOps as unknown as OpMap<never>,
    query: queryOps as unknown as OpMap<never>,
    window: windowOps as unknown as OpMap<never>,
  }),
);
/** Resolves `$lookup`/`$graphLookup` collection names within one database. */
export type CollectionResolver = (name: string) => Document[];

/** mingo options used for every query, projection and pipeline. */
export function mingoOptions(resolver?: CollectionResolver): Options {
  return resolver ? plainOptions(resolver) : SHARED_OPTIONS;
}

function plainOptions(resolver?: CollectionResolver): Options {
  return {
    context: CONTEXT,
    idKey: '_id',
    useStrictMode: true,
    // Stored code would come as BSON Code strings that mingo cannot run anyway.
    scriptEnabled: false,
    failOnError: true,
    processingMode: 0,
    ...(resolver ? { collectionResolver: resolver as (name: string) => AnyObject[] } : {}),
  } as Options;
}

/**
 * Update operators run with a small context: mingo's updater copies the context it is given
 * and then adds the query, comparison, boolean and pipeline-stage operators it needs, so only
 * our MongoDB-faithful overrides go in. Pipeline-style updates use the full context.
 */
const UPDATE_OPTIONS = { ...plainOptions(), context: Context.from(overrides) } as Options;

/**
 * Options built once. Given plain options, mingo copies every operator table into a fresh
 * context on each query and update, and its updater then merges its operator sets in again:
 * a large share of the cost of a small query. Given an instance of its internal ComputeOptions, it
 * reuses the context. mingo does not export that class, so an operator hands it over once.
 */
const SHARED_OPTIONS: Options = (() => {
  let Compute: { init(o: Options): Options & { context: Context } } | undefined;
  const probe = Context.init({
    expression: {
      $__computeOptions: (_obj: unknown, _expr: unknown, options: object) => {
        Compute = options.constructor as unknown as typeof Compute;
        return null;
      },
    } as unknown as Ops['expression'],
  });
  computeValue({}, null, '$__computeOptions', { context: probe } as Options);
  if (!Compute) return plainOptions();
  const shared = Compute.init(plainOptions());
  return shared;
})();

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toMongoError(err);
  }
}

/**
 * Compiles a filter into a predicate over stored documents; invalid filters throw BadValue.
 * Number wrappers (see numbers.ts) are compared through numeric views.
 */
export function compileFilter(filter: Document | undefined): (doc: Document) => boolean {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const plain = plainNumbers(filter);
  const fast = compileFastFilter(plain);
  if (!fast) return mingoFilter(plain);
  // mingo is built only if some document needs it (a value the fast path cannot judge, such as
  // a number wrapper, answers undefined there).
  let mingo: ((doc: Document) => boolean) | null = null;
  return (doc) => fast(doc) ?? (mingo ??= mingoFilter(plain))(doc);
}

/** The filter as mingo evaluates it (every shape; the reference for the fast path). */
export function mingoFilter(filter: Document): (doc: Document) => boolean {
  const query = guard(() => new Query(plainNumbers(filter), mingoOptions()));
  return (doc) => guard(() => query.test(viewOf(doc)));
}

/** Sorts stored documents with MongoDB sort semantics (stable, arrays by min/max). */
export function sortDocuments(docs: Document[], sort: Document): Document[] {
  const views = typedDocsExist() ? docs.map(viewOf) : docs;
  const sorted = guard(() => new Query({}, mingoOptions()).find<Document>(views).sort(sort).all());
  return views === docs ? sorted : sorted.map(sourceOf);
}

/**
 * Applies a find projection to (copies of) stored documents. `filter` enables positional (`a.$`)
 * projection. Documents holding number wrappers only take projections that select fields.
 */
export function projectDocuments(docs: Document[], projection: Document, filter: Document = {}): Document[] {
  const spec = plainNumbers(projection);
  // mingo's exclusion of dotted paths mutates its input: it gets copies.
  const copies = docs.map(cloneDocument);
  if (typedDocsExist() && docs.some(hasTypedNumbers)) {
    checkTypedProjection(spec);
    return guard(() => new Query({}, mingoOptions()).find<Document>(copies, spec).all());
  }
  return guard(() => new Query(plainNumbers(filter), mingoOptions()).find<Document>(copies, spec).all());
}

/** Runs an aggregation pipeline over (copies of) documents. */
export function runPipeline(docs: Document[], pipeline: Document[], resolver?: CollectionResolver): Document[] {
  if (pipeline.length === 0) return docs;
  return guard(() => new Aggregator(pipeline, mingoOptions(resolver)).run<Document>(docs));
}

/**
 * Applies update operators to `doc` in place (pass a copy). `condition` is
 * the matched filter, needed by the positional `$` operator.
 */
export function applyOperators(
  doc: Document,
  modifier: Document,
  arrayFilters: Document[],
  condition: Document,
  original: Document,
): void {
  // The document already matched; mingo re-tests the condition only to resolve a positional
  // `$`. Without one, skip the condition and run with the small update context.
  const positional = Object.values(modifier).some(
    (fields) => fields && typeof fields === 'object' && Object.keys(fields as object).some((k) => /\.\$(\.|$)/.test(k)),
  );
  if (!positional && arrayFilters.length === 0 && tryFastUpdate(doc, modifier)) return;
  const typed = planTypedUpdate(original, modifier);
  const options = positional ? plainOptions() : UPDATE_OPTIONS;
  const [filters, where] = [plainNumbers(arrayFilters), positional ? plainNumbers(condition) : {}];
  guard(() => mingoUpdate(doc, typed.modifier, filters, where, { cloneMode: 'copy', queryOptions: options }));
  typed.finish(doc);
}

/** Stages a pipeline-style update may use, as mongod allows them. */
const UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/**
 * Applies a pipeline-style update (`u: [...]`) and returns the new document. It runs as an
 * aggregation over the one document: mingo's own pipeline updater tracks modified fields and
 * fails on documents it cannot diff (e.g. `$replaceWith` + `$setField` with a dotted name).
 */
export function applyPipelineUpdate(doc: Document, pipeline: Document[]): Document {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? '';
    if (!UPDATE_STAGES.has(name)) fail(ErrorCode.InvalidOptions, `${name} is not allowed to be used within an update`);
  }
  checkTypedLiterals(pipeline);
  // A document holding number wrappers goes in as its numeric view and gets its types back.
  const typed = hasTypedNumbers(doc);
  const [next] = runPipeline([typed ? numericView(doc) : doc], pipeline);
  if (!next) fail(ErrorCode.BadValue, 'the update pipeline produced no document');
  return typed ? (restore(next, doc) as Document) : next;
}
