/**
 * Runs an aggregation pipeline over stored documents so that number types survive it
 * (numbers.ts): documents holding kept wrappers go in as fresh numeric views and the output
 * gets the stored types back (typed-policy.ts).
 *
 * `$group` and the other accumulating stages compute with MongoDB's types
 * (typed-accumulators.ts), so their output may hold wrappers, which later stages must not
 * compare as objects: the pipeline runs in segments, each ending at such a stage, and what
 * one segment outputs goes into the next as numeric views again. A pipeline with nested
 * pipelines (`$facet`, `$lookup` with `pipeline`, `$unionWith`) runs in one piece, its
 * accumulators computing with JS numbers.
 */
import type { Document } from 'bson';
import { cloneDocument } from './bson-values.ts';
import { runPipeline } from './mingo-engine.ts';
import { hasTypedNumbers, isTypedDoc, numericView, plainNumbers, typedDocsExist } from './numbers.ts';
import { withTypedAccumulators } from './typed-accumulators.ts';
import { checkTypedLiterals, restoreTypes } from './typed-policy.ts';

const ACCUMULATING = new Set(['$group', '$bucket', '$bucketAuto', '$sortByCount', '$setWindowFields']);

const stageName = (stage: Document): string => Object.keys(stage)[0] as string;

function nested(stage: Document): boolean {
  const name = stageName(stage);
  const spec = stage[name] as unknown;
  return (
    name === '$facet' || name === '$unionWith' || (name === '$lookup' && (spec as Document)?.pipeline !== undefined)
  );
}

/** Stage lists each ending at an accumulating stage (the last one ends wherever). */
function segments(stages: Document[]): Document[][] {
  if (stages.some(nested)) return [stages];
  const out: Document[][] = [[]];
  for (const stage of stages) {
    (out[out.length - 1] as Document[]).push(stage);
    if (ACCUMULATING.has(stageName(stage))) out.push([]);
  }
  return out.filter((s) => s.length > 0);
}

/** What mingo gets for a stored document: its numeric view, or a copy it may mutate. */
const asInput = (doc: Document): Document => (isTypedDoc(doc) ? numericView(doc) : cloneDocument(doc));

/**
 * Runs `stages` over `stored` (documents of the collection, never mutated); `collection`
 * gives the stored documents of another collection (`$lookup`, `$unionWith`, …).
 */
export function aggregateStored(
  stored: Document[],
  stages: Document[],
  collection: (name: string) => Document[],
): Document[] {
  checkTypedLiterals(stages);
  if (stages.length === 0) return stored;
  const cache = new Map<string, Document[]>();
  let joined = false;
  const resolver = (name: string): Document[] => {
    let docs = cache.get(name);
    if (docs) return docs;
    const others = collection(name);
    joined ||= typedDocsExist() && others.some(isTypedDoc);
    cache.set(name, (docs = others.map(asInput)));
    return docs;
  };
  let typed = typedDocsExist() ? stored.filter(isTypedDoc) : [];
  let docs = stored.map(asInput);
  const parts = segments(plainNumbers(stages));
  const accumulate = !stages.some(nested);
  for (const [i, part] of parts.entries()) {
    const run = () => runPipeline(docs, part, resolver);
    let out = accumulate ? withTypedAccumulators(run) : run();
    if (typed.length > 0 || joined) out = restoreTypes(out, typed, part);
    if (i === parts.length - 1) return out;
    typed = out.filter(hasTypedNumbers);
    docs = typed.length > 0 ? out.map((d) => (hasTypedNumbers(d) ? numericView(d) : d)) : out;
  }
  return docs; // not reached: there is at least one segment
}
