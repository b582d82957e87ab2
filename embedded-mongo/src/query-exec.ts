/**
 * Executes find-style reads and aggregation pipelines on top of the planner
 * and mingo. Results reference stored documents unless a projection or a
 * pipeline could mutate them, in which case copies are made first.
 */
import type { Document } from 'bson';
import { isPlainObject } from './bson-values.ts';
import type { Catalog } from './catalog.ts';
import type { Collection } from './collection.ts';
import { ErrorCode, fail } from './errors.ts';
import { compileFilter, projectDocuments, sortDocuments } from './mingo-engine.ts';
import { plainNumbers } from './numbers.ts';
import { planQuery, type QueryPlan } from './query-planner.ts';
import { aggregateStored } from './typed-aggregate.ts';

/** Parameters of a find-like read. */
export interface FindSpec {
  filter?: unknown;
  sort?: unknown;
  projection?: unknown;
  skip?: unknown;
  limit?: number;
  hint?: unknown;
}

/** Documents found plus what explain needs to describe how. */
export interface FindResult {
  docs: Document[];
  plan: QueryPlan;
  docsExamined: number;
}

/** Checks an optional object argument (`filter`, `sort`, …) like mongod (code 14). */
export function optionalObject(value: unknown, field: string): Document | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value))
    fail(
      ErrorCode.TypeMismatch,
      `"${field}" had the wrong type. Expected object, found ${Array.isArray(value) ? 'array' : typeof value}`,
    );
  return value;
}

/** Normalises a sort spec to 1/-1 values (mingo accepts nothing else). */
export function normalizeSort(sort: Document | undefined): Document | undefined {
  if (!sort) return undefined;
  const out: Document = {};
  for (const [field, dir] of Object.entries(plainNumbers(sort))) {
    if (field === '$natural') continue;
    if (isPlainObject(dir) && '$meta' in dir) continue;
    if (typeof dir !== 'number' || dir === 0 || !Number.isFinite(dir)) {
      fail(ErrorCode.BadValue, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    }
    out[field] = dir > 0 ? 1 : -1;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Runs filter → sort → skip → limit → projection. */
export function executeFind(coll: Collection | undefined, spec: FindSpec): FindResult {
  const found = findUnprojected(coll, spec);
  return { ...found, docs: found.project ? found.project(found.docs) : found.docs };
}

/**
 * Like `executeFind`, but leaves the projection to the caller as `project`: a cursor projects
 * each batch as it hands it out, so opening one over 100k documents does not copy them all
 * while every other client waits. Stored documents are never mutated, so a late projection
 * sees the same snapshot. An invalid projection still fails here, when the cursor opens.
 */
export function findUnprojected(
  coll: Collection | undefined,
  spec: FindSpec,
): FindResult & { project: ((docs: Document[]) => Document[]) | null } {
  const filter = optionalObject(spec.filter, 'filter') ?? {};
  const sort = normalizeSort(optionalObject(spec.sort, 'sort'));
  const projection = optionalObject(spec.projection, 'projection');
  const skip = spec.skip === undefined || spec.skip === null ? 0 : Number(spec.skip);
  if (!Number.isInteger(skip) || skip < 0) fail(ErrorCode.BadValue, 'Skip value must be non-negative');
  const limit = spec.limit && spec.limit > 0 ? spec.limit : Infinity;
  const plan = planQuery(coll, filter, { hint: spec.hint, sort });
  const test = compileFilter(filter);
  // Without a sort we can stop scanning once skip+limit documents matched.
  const stopAt = sort ? Infinity : skip + limit;
  const matched: Document[] = [];
  let docsExamined = 0;
  for (const doc of plan.candidates) {
    docsExamined++;
    if (test(doc) && matched.push(doc) >= stopAt) break;
  }
  let docs = sort ? sortDocuments(matched, sort) : matched;
  if (skip > 0 || limit !== Infinity) docs = docs.slice(skip, skip + limit);
  if (!projection || Object.keys(projection).length === 0) return { docs, plan, docsExamined, project: null };
  checkProjectionStyle(projection);
  const project = plainProjection(projection) ?? ((batch: Document[]) => projectDocuments(batch, projection, filter));
  return { docs, plan, docsExamined, project };
}

/**
 * A find projection either includes or excludes (`_id` aside); mongod refuses a mix when it
 * parses the command, before any document is read. Only plain flags are classified here:
 * operators (`$slice`, `$elemMatch`) and expressions are left to the projection itself.
 */
function checkProjectionStyle(projection: Document): void {
  let style: 'inclusion' | 'exclusion' | null = null;
  for (const [field, value] of Object.entries(projection)) {
    if (field === '_id' || (typeof value !== 'number' && typeof value !== 'boolean')) continue;
    const excludes = value === false || value === 0;
    const next = excludes ? 'exclusion' : 'inclusion';
    if (style && style !== next && excludes)
      fail(ErrorCode.Location31254, `Cannot do exclusion on field ${field} in inclusion projection`);
    if (style && style !== next)
      fail(ErrorCode.Location31253, `Cannot do inclusion on field ${field} in exclusion projection`);
    style = next;
  }
}

const TOP_LEVEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A projection that only includes or only excludes top-level fields (the common case), done
 * without mingo: fields keep the document's order, `_id` stays unless excluded. The result
 * shares values with the stored document; batches are only serialised, never changed.
 */
function plainProjection(projection: Document): ((batch: Document[]) => Document[]) | null {
  const fields = Object.entries(projection);
  if (
    !fields.every(([k, v]) => TOP_LEVEL.test(k) && k !== '__proto__' && (v === 0 || v === 1 || typeof v === 'boolean'))
  )
    return null;
  const flag = (v: unknown) => v === 1 || v === true;
  const listed = new Map(fields.map(([k, v]) => [k, flag(v)]));
  const others = fields.filter(([k]) => k !== '_id');
  // `{_id: 1}` alone includes; beside other fields, `_id` never decides the style.
  const inclusion = others.length > 0 ? others.some(([, v]) => flag(v)) : flag(projection._id);
  const keep = (k: string) =>
    k === '_id' ? listed.get('_id') !== false : inclusion ? listed.get(k) === true : !listed.has(k);
  return (batch) =>
    batch.map((doc) => {
      const out: Document = {};
      for (const k of Object.keys(doc)) if (keep(k)) out[k] = doc[k];
      return out;
    });
}

const UNSUPPORTED_STAGES = new Set(['$out', '$merge', '$changeStream', '$currentOp', '$listSessions']);

/** Validates a pipeline array: each stage one `$`-operator object. */
export function checkPipeline(pipeline: unknown): Document[] {
  if (!Array.isArray(pipeline)) fail(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
  for (const stage of pipeline) {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      fail(40323, 'A pipeline stage specification object must contain exactly one field.');
    }
    const name = Object.keys(stage)[0] as string;
    if (UNSUPPORTED_STAGES.has(name))
      fail(ErrorCode.BadValue, `${name} is not supported by the embedded MongoDB server`);
  }
  return pipeline as Document[];
}

/** Result of an aggregation and the plan of its leading $match. */
export interface AggregateResult {
  docs: Document[];
  plan: QueryPlan;
  docsExamined: number;
  filter: Document;
}

/**
 * Runs a pipeline. A leading `$match` is executed through the planner (so
 * indexes apply); only the matching documents are copied and handed to mingo
 * (typed-aggregate.ts, which keeps number types).
 */
export function executeAggregate(
  catalog: Catalog,
  db: string,
  coll: Collection | undefined,
  pipeline: Document[],
  hint?: unknown,
): AggregateResult {
  const first = pipeline[0];
  const filter = first && isPlainObject(first.$match) ? (first.$match as Document) : {};
  const rest = first && isPlainObject(first.$match) ? pipeline.slice(1) : pipeline;
  const found = executeFind(coll, { filter, hint });
  const stored = (name: string): Document[] => [...(catalog.getCollection(db, name)?.docs.values() ?? [])];
  const docs = aggregateStored(found.docs, rest, stored);
  return { docs, plan: found.plan, docsExamined: found.docsExamined, filter };
}
