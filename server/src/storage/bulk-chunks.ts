import type { AnyBulkWriteOperation, Collection, Document, Filter, UpdateFilter } from 'mongodb';

/**
 * Statements per write command at most. The driver encodes a whole command in one stretch of
 * synchronous work, and the database applies it in one, so large write sets go as commands of
 * this size, one after another, and other work (acks, live updates, reads) runs between them.
 * (Measured while the embedded database still ran on the hub's thread, before b4908ed: sent
 * together, the soak's event-loop delay p99 was 101-125 ms against 49-78 ms one after another;
 * one rollup run's single bulk write of a few thousand upserts was a stretch of 866 ms.)
 */
export const BULK_CHUNK = 500;

/**
 * Reads that may return thousands of documents ask for them in batches of this size: the driver
 * decodes each batch in one stretch as it arrives.
 */
export const READ_BATCH = 1_000;

/**
 * `$or` branches per query at most (the rollup job's reads name one range per branch): keeps
 * each query's plan small. (With the embedded database on the hub's thread, before b4908ed, 50
 * instead of 200 did not shorten the in-process hold's navigation p99.)
 */
export const MAX_OR_CLAUSES = 200;

/** Duplicate key: a version-guarded upsert that lost to a newer version, or a compare-and-set insert that met a document. */
const DUPLICATE_KEY = 11000;

interface WriteReply {
  n?: number;
  writeErrors?: { index: number; code: number; errmsg?: string }[];
  writeConcernError?: { code: number; errmsg?: string };
}

/** The error of a command whose statements failed, shaped like the driver's `MongoWriteError`. */
function writeError(coll: Collection<Document>, verb: string, reply: WriteReply): Error | null {
  const failed = reply.writeErrors?.[0] ?? reply.writeConcernError;
  if (!failed) return null;
  return Object.assign(new Error(`${verb} of ${coll.collectionName} failed: ${failed.errmsg ?? failed.code}`), {
    name: 'MongoWriteError',
    code: failed.code,
    writeErrors: reply.writeErrors,
  });
}

/**
 * Runs inserts, single-document updates and single-document deletes, in no particular order, as
 * `insert`, `update` and `delete` commands of at most `BULK_CHUNK` statements, one after
 * another; resolves with how many documents they inserted, matched (or upserted) and deleted.
 * With `duplicatesLost`, a statement that fails on a duplicate key counts as lost, not as a
 * failure (the rollup job's version guards and compare-and-set); any other failure fails the
 * call. The rollup job's path, for the reason `updateInChunks` gives.
 */
export async function writeUnordered<T extends Document>(
  coll: Collection<T>,
  ops: AnyBulkWriteOperation<T>[],
  { duplicatesLost = false }: { duplicatesLost?: boolean } = {},
): Promise<number> {
  const documents: Document[] = [];
  const updates: Document[] = [];
  const deletes: Document[] = [];
  for (const op of ops) {
    if ('insertOne' in op) documents.push(op.insertOne.document);
    else if ('updateOne' in op) {
      const { filter, update, upsert } = op.updateOne;
      updates.push({ q: filter, u: update, upsert: upsert ?? false });
    } else if ('deleteOne' in op) deletes.push({ q: op.deleteOne.filter, limit: 1 });
    else throw new TypeError(`writeUnordered: unsupported statement ${Object.keys(op)[0]}`);
  }
  const c = coll as unknown as Collection<Document>;
  let n = 0;
  const run = async (verb: 'insert' | 'update' | 'delete', field: string, list: Document[]) => {
    for (let i = 0; i < list.length; i += BULK_CHUNK) {
      const command = { [verb]: c.collectionName, [field]: list.slice(i, i + BULK_CHUNK), ordered: false };
      const reply = (await c.db.command(command)) as WriteReply;
      const lost =
        duplicatesLost && !reply.writeConcernError && reply.writeErrors?.every((e) => e.code === DUPLICATE_KEY);
      const err = lost ? null : writeError(c, verb, reply);
      if (err) throw err;
      n += reply.n ?? 0;
    }
  };
  await run('insert', 'documents', documents);
  await run('update', 'updates', updates);
  await run('delete', 'deletes', deletes);
  return n;
}

/** One statement of an `update` command, typed against the collection's document. */
export interface UpdateStatement<T extends Document> {
  q: Filter<T>;
  u: UpdateFilter<T>;
  upsert?: boolean;
}

/**
 * Runs update statements as `update` commands of at most `BULK_CHUNK` statements, one after
 * another; resolves with how many documents they matched or inserted. The tracking flush's
 * path: `Collection.bulkWrite` serialised every statement on its own, copied it into a buffer
 * of its own and built a result object per chunk, which was a fifth of the hub's database work
 * and more of its garbage. A statement that fails (`writeErrors`) or a write concern that is not
 * met fails the call, as a bulk write would. Unlike a bulk write, a command is not retried by
 * the driver after a network error or a change of primary: the caller's events fail as
 * `unavailable` and their trackers send them again.
 */
export async function updateInChunks<T extends Document>(
  coll: Collection<T>,
  statements: UpdateStatement<T>[],
  { ordered = false }: { ordered?: boolean } = {},
): Promise<number> {
  let n = 0;
  for (let i = 0; i < statements.length; i += BULK_CHUNK) {
    const updates = statements.slice(i, i + BULK_CHUNK);
    const reply = (await coll.db.command({ update: coll.collectionName, updates, ordered })) as WriteReply;
    const err = writeError(coll as unknown as Collection<Document>, 'update', reply);
    if (err) throw err;
    n += reply.n ?? 0;
  }
  return n;
}
