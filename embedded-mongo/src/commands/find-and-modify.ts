/**
 * findAndModify: atomically (we are single-threaded) find one document by
 * query + sort, then update, replace or remove it, optionally upserting.
 * Reply: `{lastErrorObject: {n, updatedExisting, upserted?}, value, ok: 1}`.
 */
import type { Document } from 'bson';
import { ErrorCode, fail } from '../errors.ts';
import { projectDocuments } from '../mingo-engine.ts';
import { executeFind, optionalObject } from '../query-exec.ts';
import { applyUpdate, buildUpsertDocument, checkArrayFilters, classifyUpdate, isModified } from '../update-apply.ts';
import { collectionArg, type CommandHandler } from './context.ts';

export const findAndModify: CommandHandler = (cmd, ctx) => {
  const name = collectionArg(cmd, Object.keys(cmd)[0] as string, ctx.db);
  const query = optionalObject(cmd.query, 'query') ?? {};
  const remove = cmd.remove === true;
  const update = cmd.update as Document | Document[] | undefined;
  if (remove && update !== undefined) fail(ErrorCode.FailedToParse, 'Cannot specify both an update and remove=true');
  if (!remove && update === undefined)
    fail(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && cmd.upsert === true) fail(ErrorCode.FailedToParse, 'Cannot specify both upsert=true and remove=true');
  if (remove && cmd.new === true)
    fail(
      ErrorCode.FailedToParse,
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  const fields = optionalObject(cmd.fields, 'fields');
  const project = (doc: Document | undefined): Document | null => {
    if (!doc) return null;
    return fields && Object.keys(fields).length ? (projectDocuments([doc], fields, query)[0] ?? null) : doc;
  };

  const coll = ctx.catalog.getCollection(ctx.db, name);
  const found = executeFind(coll, { filter: query, sort: cmd.sort, limit: 1, hint: cmd.hint }).docs[0];

  if (remove) {
    if (found && coll) ctx.catalog.remove(coll, found);
    return { lastErrorObject: { n: found ? 1 : 0 }, value: project(found) };
  }

  const kind = classifyUpdate(update, false);
  const arrayFilters = Array.isArray(cmd.arrayFilters) ? (cmd.arrayFilters as Document[]) : [];
  checkArrayFilters(update, arrayFilters);
  const opts = { kind, arrayFilters, query };
  if (found && coll) {
    const next = applyUpdate(found, update as Document, opts);
    if (isModified(found, next)) ctx.catalog.replace(coll, found, next);
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new === true ? next : found) };
  }
  if (cmd.upsert !== true) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
  const target = coll ?? ctx.catalog.ensureCollection(ctx.db, name);
  const doc = buildUpsertDocument(query, update as Document, opts);
  ctx.catalog.insert(target, doc);
  return {
    lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
    value: cmd.new === true ? project(doc) : null,
  };
};
