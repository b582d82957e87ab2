/**
 * insert / update / delete with mongod's batch semantics: per-statement
 * writeErrors `{index, code, errmsg, keyPattern?, keyValue?}`, `ok: 1` at the
 * command level, and `ordered` (default) stopping at the first failure.
 */
import { ObjectId, type Document } from 'bson';
import { isPlainObject } from '../bson-values.ts';
import type { Collection } from '../collection.ts';
import { ErrorCode, fail, toMongoError } from '../errors.ts';
import { executeFind } from '../query-exec.ts';
import { applyUpdate, buildUpsertDocument, checkArrayFilters, classifyUpdate, isModified } from '../update-apply.ts';
import { collectionArg, type CommandContext, type CommandHandler } from './context.ts';

/** Validates a document to insert and puts `_id` first, generating one if absent. */
export function prepareInsert(raw: unknown): Document {
  if (!isPlainObject(raw)) fail(ErrorCode.TypeMismatch, 'document to insert must be an object');
  const { _id, ...rest } = raw;
  if (Array.isArray(_id)) fail(ErrorCode.InvalidIdField, "The '_id' value cannot be of type array");
  if (_id instanceof RegExp) fail(ErrorCode.InvalidIdField, "The '_id' value cannot be of type regex");
  return { _id: _id === undefined ? new ObjectId() : _id, ...rest };
}

/** Runs statements one by one, collecting writeErrors like mongod. */
function runBatch<T>(items: T[], ordered: boolean, run: (item: T, index: number) => void): Document[] {
  const writeErrors: Document[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      run(items[i] as T, i);
    } catch (err) {
      writeErrors.push(toMongoError(err).toWriteError(i));
      if (ordered) break;
    }
  }
  return writeErrors;
}

function statements(cmd: Document, field: string): Document[] {
  const list = cmd[field];
  if (!Array.isArray(list))
    fail(ErrorCode.FailedToParse, `BSON field '${Object.keys(cmd)[0]}.${field}' is missing but a required field`);
  if (list.length > 100_000)
    fail(ErrorCode.InvalidOptions, `Write batch sizes must be between 1 and 100000. Got ${list.length} operations.`);
  return list as Document[];
}

const withErrors = (reply: Document, writeErrors: Document[]): Document =>
  writeErrors.length ? { ...reply, writeErrors } : reply;

/** Executes one update statement; returns matched/modified/upserted id. */
function updateOne(
  ctx: CommandContext,
  coll: Collection,
  st: Document,
): { n: number; modified: number; upserted?: unknown } {
  if (!isPlainObject(st.q))
    fail(ErrorCode.TypeMismatch, "BSON field 'update.updates.q' is the wrong type, expected type 'object'");
  const multi = st.multi === true;
  const kind = classifyUpdate(st.u, multi);
  const arrayFilters = Array.isArray(st.arrayFilters) ? (st.arrayFilters as Document[]) : [];
  checkArrayFilters(st.u, arrayFilters);
  const opts = { kind, arrayFilters, query: st.q };
  const { docs } = executeFind(coll, { filter: st.q, limit: multi ? undefined : 1, hint: st.hint, sort: st.sort });
  if (docs.length === 0) {
    if (st.upsert !== true) return { n: 0, modified: 0 };
    const doc = buildUpsertDocument(st.q, st.u, opts);
    ctx.catalog.insert(coll, doc);
    return { n: 1, modified: 0, upserted: doc._id };
  }
  let modified = 0;
  for (const old of docs) {
    const next = applyUpdate(old, st.u, opts);
    if (!isModified(old, next)) continue;
    ctx.catalog.replace(coll, old, next);
    modified++;
  }
  return { n: docs.length, modified };
}

export const writeCommands: Record<string, CommandHandler> = {
  insert: (cmd, ctx) => {
    const name = collectionArg(cmd, 'insert', ctx.db);
    const docs = statements(cmd, 'documents');
    const coll = ctx.catalog.ensureCollection(ctx.db, name);
    let n = 0;
    const writeErrors = runBatch(docs, cmd.ordered !== false, (raw) => {
      ctx.catalog.insert(coll, prepareInsert(raw));
      n++;
    });
    return withErrors({ n }, writeErrors);
  },

  update: (cmd, ctx) => {
    const name = collectionArg(cmd, 'update', ctx.db);
    const updates = statements(cmd, 'updates');
    const coll = ctx.catalog.ensureCollection(ctx.db, name);
    let n = 0;
    let nModified = 0;
    const upserted: Document[] = [];
    const writeErrors = runBatch(updates, cmd.ordered !== false, (st, index) => {
      const res = updateOne(ctx, coll, st);
      n += res.n;
      nModified += res.modified;
      if (res.upserted !== undefined) upserted.push({ index, _id: res.upserted });
    });
    return withErrors({ n, nModified, ...(upserted.length ? { upserted } : {}) }, writeErrors);
  },

  delete: (cmd, ctx) => {
    const name = collectionArg(cmd, 'delete', ctx.db);
    const deletes = statements(cmd, 'deletes');
    const coll = ctx.catalog.getCollection(ctx.db, name);
    let n = 0;
    const writeErrors = runBatch(deletes, cmd.ordered !== false, (st) => {
      if (!isPlainObject(st.q))
        fail(ErrorCode.TypeMismatch, "BSON field 'delete.deletes.q' is the wrong type, expected type 'object'");
      if (st.limit !== 0 && st.limit !== 1)
        fail(ErrorCode.FailedToParse, `The limit field in delete objects must be 0 or 1. Got ${String(st.limit)}`);
      if (!coll) return;
      const { docs } = executeFind(coll, { filter: st.q, limit: st.limit === 1 ? 1 : undefined, hint: st.hint });
      for (const doc of docs) ctx.catalog.remove(coll, doc);
      n += docs.length;
    });
    return withErrors({ n }, writeErrors);
  },
};
