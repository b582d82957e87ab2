/**
 * Read commands: find, getMore, killCursors, count, distinct, aggregate.
 */
import type { Document, Long } from 'bson';
import { indexedValues, isPlainObject, valueKey } from '../bson-values.ts';
import { ErrorCode, fail } from '../errors.ts';
import { checkPipeline, executeAggregate, executeFind, findUnprojected } from '../query-exec.ts';
import { explainAggregate } from './explain.ts';
import { collectionArg, cursorIdArg, cursorReply, intArg, type CommandHandler } from './context.ts';

function batchSizeArg(cmd: Document): number | undefined {
  const size = intArg(cmd, 'batchSize');
  if (size !== undefined && size < 0)
    fail(ErrorCode.BadValue, `BatchSize value must be non-negative, but received: ${size}`);
  return size;
}

export const readCommands: Record<string, CommandHandler> = {
  find: (cmd, ctx) => {
    const name = collectionArg(cmd, 'find', ctx.db);
    const coll = ctx.catalog.getCollection(ctx.db, name);
    const rawLimit = intArg(cmd, 'limit');
    // A negative limit is the legacy way of asking for a single batch.
    const singleBatch = cmd.singleBatch === true || (rawLimit !== undefined && rawLimit < 0);
    const limit = rawLimit === undefined ? undefined : Math.abs(rawLimit);
    const { docs, project } = findUnprojected(coll, {
      filter: cmd.filter,
      sort: cmd.sort,
      projection: cmd.projection,
      skip: cmd.skip,
      limit,
      hint: cmd.hint,
    });
    const ns = `${ctx.db}.${name}`;
    const { id, batch } = ctx.cursors.open(ns, docs, batchSizeArg(cmd), {
      singleBatch,
      noTimeout: cmd.noCursorTimeout === true,
      project,
    });
    return cursorReply(id, ns, batch, true);
  },

  getMore: (cmd, ctx) => {
    const id = cursorIdArg(cmd.getMore, 'getMore');
    const name = collectionArg(cmd, 'collection', ctx.db);
    const ns = `${ctx.db}.${name}`;
    const next = ctx.cursors.getMore(id, ns, batchSizeArg(cmd));
    return cursorReply(next.id, ns, next.batch, false);
  },

  killCursors: (cmd, ctx) => {
    collectionArg(cmd, 'killCursors', ctx.db);
    if (!Array.isArray(cmd.cursors)) fail(ErrorCode.FailedToParse, "Field 'cursors' must be an array");
    const ids: Long[] = cmd.cursors.map((c: unknown) => cursorIdArg(c, 'cursors'));
    const { killed, notFound } = ctx.cursors.kill(ids);
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
  },

  count: (cmd, ctx) => {
    const name = collectionArg(cmd, 'count', ctx.db);
    const coll = ctx.catalog.getCollection(ctx.db, name);
    const query = cmd.query ?? {};
    const limit = intArg(cmd, 'limit');
    const skip = intArg(cmd, 'skip') ?? 0;
    if (skip < 0) fail(ErrorCode.BadValue, 'skip value is negative in count query');
    if (!coll) return { n: 0 };
    // estimatedDocumentCount sends a bare count: answer it without scanning.
    if (isPlainObject(query) && Object.keys(query).length === 0 && !limit)
      return { n: Math.max(0, coll.docs.size - skip) };
    const { docs } = executeFind(coll, {
      filter: query,
      skip,
      limit: limit ? Math.abs(limit) : undefined,
      hint: cmd.hint,
    });
    return { n: docs.length };
  },

  distinct: (cmd, ctx) => {
    const name = collectionArg(cmd, 'distinct', ctx.db);
    if (typeof cmd.key !== 'string')
      fail(ErrorCode.TypeMismatch, `"key" had the wrong type. Expected string, found ${typeof cmd.key}`);
    const coll = ctx.catalog.getCollection(ctx.db, name);
    const { docs } = executeFind(coll, { filter: cmd.query, hint: cmd.hint });
    const seen = new Set<string>();
    const values: unknown[] = [];
    for (const doc of docs) {
      for (const v of indexedValues(doc, cmd.key)) {
        if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
        const k = valueKey(v);
        if (!seen.has(k)) {
          seen.add(k);
          values.push(v);
        }
      }
    }
    return { values };
  },

  aggregate: (cmd, ctx) => {
    const target = cmd.aggregate;
    const pipeline = checkPipeline(cmd.pipeline);
    const collName = target === 1 ? null : collectionArg(cmd, 'aggregate', ctx.db);
    if (collName === null && !(pipeline[0] && '$documents' in pipeline[0])) {
      fail(
        ErrorCode.InvalidNamespace,
        '{aggregate: 1} is only supported with a leading $documents stage in the embedded server',
      );
    }
    const coll = collName === null ? undefined : ctx.catalog.getCollection(ctx.db, collName);
    if (cmd.explain === true)
      return explainAggregate(ctx, collName ?? '$cmd.aggregate', coll, pipeline, cmd, 'queryPlanner');
    if (!isPlainObject(cmd.cursor))
      fail(ErrorCode.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
    const { docs } = executeAggregate(ctx.catalog, ctx.db, coll, pipeline, cmd.hint);
    const ns = `${ctx.db}.${collName ?? '$cmd.aggregate'}`;
    const { id, batch } = ctx.cursors.open(ns, docs, intArg(cmd.cursor, 'batchSize'));
    return cursorReply(id, ns, batch, true);
  },
};
