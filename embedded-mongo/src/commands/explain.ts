/**
 * `explain` for find, aggregate, count and distinct, in the classic
 * queryPlanner/executionStats shape. The winning plan names the index the
 * planner really used (IXSCAN + indexName, IDHACK for _id equality, else
 * COLLSCAN), so callers can assert that their queries are indexed.
 */
import type { Document } from 'bson';
import type { Collection } from '../collection.ts';
import { ErrorCode, fail } from '../errors.ts';
import { checkPipeline, executeAggregate, executeFind, normalizeSort } from '../query-exec.ts';
import type { QueryPlan } from '../query-planner.ts';
import { collectionArg, type CommandContext, type CommandHandler } from './context.ts';

type Verbosity = 'queryPlanner' | 'executionStats' | 'allPlansExecution';

function ixscan(plan: QueryPlan): Document {
  return {
    stage: 'IXSCAN',
    keyPattern: plan.keyPattern,
    indexName: plan.indexName,
    isMultiKey: !!plan.multiKey,
    isUnique: plan.indexName === '_id_',
    direction: 'forward',
    indexBounds: {},
  };
}

function planStage(plan: QueryPlan, filter: Document, sort: Document | undefined): Document {
  let stage: Document;
  if (plan.stage === 'COLLSCAN') stage = { stage: 'COLLSCAN', filter, direction: 'forward' };
  else if (plan.stage === 'IXSCAN') stage = { stage: 'FETCH', filter, inputStage: ixscan(plan) };
  else if (plan.stage === 'OR')
    stage = { stage: 'FETCH', filter, inputStage: { stage: 'OR', inputStages: (plan.branches ?? []).map(ixscan) } };
  else stage = { stage: plan.stage, ...(plan.stage === 'IDHACK' ? { indexName: plan.indexName } : {}) };
  return sort ? { stage: 'SORT', sortPattern: sort, inputStage: stage } : stage;
}

function explainDoc(
  ctx: CommandContext,
  ns: string,
  filter: Document,
  plan: QueryPlan,
  sort: Document | undefined,
  verbosity: Verbosity,
  stats: { n: number; examined: number; ms: number },
): Document {
  const winningPlan = planStage(plan, filter, sort);
  const out: Document = {
    explainVersion: '1',
    queryPlanner: {
      plannerVersion: 1,
      namespace: ns,
      indexFilterSet: false,
      parsedQuery: filter,
      winningPlan,
      rejectedPlans: [],
    },
  };
  if (verbosity !== 'queryPlanner') {
    out.executionStats = {
      executionSuccess: true,
      nReturned: stats.n,
      executionTimeMillis: stats.ms,
      totalKeysExamined: plan.keysExamined,
      totalDocsExamined: stats.examined,
      executionStages: { ...winningPlan, nReturned: stats.n, docsExamined: stats.examined },
    };
  }
  out.serverInfo = { host: ctx.server.host, port: ctx.server.port, version: ctx.server.version };
  return out;
}

/** Explain of an aggregation: the leading $match's plan plus the remaining stages. */
export function explainAggregate(
  ctx: CommandContext,
  collName: string,
  coll: Collection | undefined,
  pipeline: Document[],
  cmd: Document,
  verbosity: Verbosity,
): Document {
  const started = Date.now();
  const res = executeAggregate(ctx.catalog, ctx.db, coll, pipeline, cmd.hint);
  const inner = explainDoc(ctx, `${ctx.db}.${collName}`, res.filter, res.plan, undefined, verbosity, {
    n: res.docs.length,
    examined: res.docsExamined,
    ms: Date.now() - started,
  });
  const rest = '$match' in (pipeline[0] ?? {}) ? pipeline.slice(1) : pipeline;
  const cursorStage: Document = { queryPlanner: inner.queryPlanner };
  if (inner.executionStats) cursorStage.executionStats = inner.executionStats;
  return { ...inner, stages: [{ $cursor: cursorStage }, ...rest] };
}

export const explainCommand: CommandHandler = (cmd, ctx) => {
  const inner = cmd.explain as Document;
  if (!inner || typeof inner !== 'object') fail(ErrorCode.FailedToParse, 'explain command requires a nested object');
  const verbosity = (cmd.verbosity ?? 'allPlansExecution') as Verbosity;
  if (!['queryPlanner', 'executionStats', 'allPlansExecution'].includes(verbosity))
    fail(
      ErrorCode.FailedToParse,
      `verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}`,
    );
  const name = Object.keys(inner)[0];
  const started = Date.now();
  switch (name) {
    case 'find':
    case 'count':
    case 'distinct': {
      const collName = collectionArg(inner, name, ctx.db);
      const coll = ctx.catalog.getCollection(ctx.db, collName);
      const filter = (name === 'find' ? inner.filter : inner.query) ?? {};
      const sort = name === 'find' ? normalizeSort(inner.sort) : undefined;
      const res = executeFind(coll, {
        filter,
        sort,
        projection: inner.projection,
        skip: inner.skip,
        limit: inner.limit ? Math.abs(inner.limit) : undefined,
        hint: inner.hint,
      });
      return explainDoc(ctx, `${ctx.db}.${collName}`, filter, res.plan, sort, verbosity, {
        n: res.docs.length,
        examined: res.docsExamined,
        ms: Date.now() - started,
      });
    }
    case 'aggregate': {
      const collName = inner.aggregate === 1 ? null : collectionArg(inner, 'aggregate', ctx.db);
      const coll = collName === null ? undefined : ctx.catalog.getCollection(ctx.db, collName);
      return explainAggregate(ctx, collName ?? '$cmd.aggregate', coll, checkPipeline(inner.pipeline), inner, verbosity);
    }
    default:
      return fail(
        ErrorCode.BadValue,
        `Explain is not supported for the '${String(name)}' command by the embedded server`,
      );
  }
};
