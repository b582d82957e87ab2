/**
 * createIndexes / listIndexes / dropIndexes with mongod's reply shapes and
 * conflict codes (85, 86, 27, 72, 26).
 */
import type { Document } from 'bson';
import { isPlainObject } from '../bson-values.ts';
import { ErrorCode, fail } from '../errors.ts';
import { keyPatternId, normalizeIndexSpec, type IndexSpec } from '../index-spec.ts';
import { collectionArg, cursorReply, intArg, type CommandHandler } from './context.ts';

const dropIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, Object.keys(cmd)[0] as string, ctx.db);
  const coll = ctx.catalog.getCollection(ctx.db, name);
  if (!coll) fail(ErrorCode.NamespaceNotFound, `ns not found ${ctx.db}.${name}`);
  const nIndexesWas = coll.indexSpecs().length;
  const target = cmd.index;
  let names: string[];
  if (target === '*') {
    names = coll.secondaryIndexes().map((i) => i.name);
  } else if (typeof target === 'string') {
    names = [target];
  } else if (Array.isArray(target) && target.every((t) => typeof t === 'string')) {
    names = target as string[];
  } else if (isPlainObject(target)) {
    const spec = coll.indexSpecs().find((s) => keyPatternId(s.key) === keyPatternId(target));
    if (!spec) fail(ErrorCode.IndexNotFound, `can't find index with key: ${JSON.stringify(target)}`);
    names = [spec.name];
  } else {
    return fail(ErrorCode.TypeMismatch, "'index' must be a string, an array of strings or an object");
  }
  // Validate all names first so a failing multi-drop leaves nothing half-done.
  for (const n of names) {
    if (n === '_id_') fail(ErrorCode.InvalidOptions, 'cannot drop _id index');
    if (!coll.getIndex(n)) fail(ErrorCode.IndexNotFound, `index not found with name [${n}]`);
  }
  for (const n of names) ctx.catalog.dropIndex(coll, n);
  return target === '*' ? { nIndexesWas, msg: 'non-_id indexes dropped for collection' } : { nIndexesWas };
};

export const indexCommands: Record<string, CommandHandler> = {
  createIndexes: (cmd, ctx) => {
    const name = collectionArg(cmd, 'createIndexes', ctx.db);
    if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0)
      fail(ErrorCode.BadValue, 'Must specify at least one index to create');
    const specs: IndexSpec[] = cmd.indexes.map(normalizeIndexSpec);
    const existed = ctx.catalog.getCollection(ctx.db, name);
    const coll = existed ?? ctx.catalog.ensureCollection(ctx.db, name);
    const numIndexesBefore = coll.indexSpecs().length;
    const created: string[] = [];
    try {
      for (const spec of specs) if (ctx.catalog.createIndex(coll, spec)) created.push(spec.name);
    } catch (err) {
      // mongod builds the requested indexes together: all or none.
      for (const n of created) ctx.catalog.dropIndex(coll, n);
      throw err;
    }
    const reply: Document = {
      numIndexesBefore,
      numIndexesAfter: coll.indexSpecs().length,
      createdCollectionAutomatically: !existed,
    };
    if (created.length === 0) reply.note = 'all indexes already exist';
    return reply;
  },

  listIndexes: (cmd, ctx) => {
    const name = collectionArg(cmd, 'listIndexes', ctx.db);
    const coll = ctx.catalog.getCollection(ctx.db, name);
    if (!coll) fail(ErrorCode.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
    const batchSize = isPlainObject(cmd.cursor) ? intArg(cmd.cursor, 'batchSize') : undefined;
    const { id, batch } = ctx.cursors.open(
      coll.ns,
      coll.indexSpecs().map((s) => ({ ...s })),
      batchSize,
    );
    return cursorReply(id, coll.ns, batch, true);
  },

  dropIndexes: dropIndexes,
  deleteIndexes: dropIndexes,
};
