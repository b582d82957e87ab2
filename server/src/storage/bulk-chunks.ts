import type { AnyBulkWriteOperation, BulkWriteResult, Collection, Document, Filter, UpdateFilter } from 'mongodb';

/**
 * Statements per bulk write at most. The driver encodes a whole bulk write in one stretch of
 * synchronous work, and the database applies it in one, so large write sets go as bulk writes of
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

/**
 * Whether a bulk write failed only on duplicate keys: version-guarded upserts that lost to a
 * newer version, or compare-and-set inserts that met a document (rollup-cas.ts).
 */
export function onlyDuplicateKeys(err: unknown): boolean {
  const errors = (err as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
  const list = Array.isArray(errors) ? errors : errors ? [errors] : null;
  return !!list && list.every((e) => e.code === 11000);
}

export interface ChunkOptions {
  /** Called with every chunk's result. */
  each?: (res: BulkWriteResult) => void;
  /** A chunk's failure that is expected (true) lets the next chunks run; any other stops them. */
  tolerate?: (err: unknown) => boolean;
  /**
   * Statements that must apply in their order (later ones may touch the same documents): each
   * chunk is an ordered bulk write, and the chunks still go one after another.
   */
  ordered?: boolean;
}

/** Writes statements in bulk writes of at most `BULK_CHUNK`, one after another (unordered unless asked). */
export async function bulkInChunks<T extends Document>(
  coll: Collection<T>,
  ops: AnyBulkWriteOperation<T>[],
  { each, tolerate, ordered = false }: ChunkOptions = {},
): Promise<void> {
  for (let i = 0; i < ops.length; i += BULK_CHUNK) {
    try {
      const res = await coll.bulkWrite(ops.slice(i, i + BULK_CHUNK), { ordered });
      each?.(res);
    } catch (err) {
      if (!tolerate?.(err)) throw err;
    }
  }
}

/** One statement of an `update` command, typed against the collection's document. */
export interface UpdateStatement<T extends Document> {
  q: Filter<T>;
  u: UpdateFilter<T>;
  upsert?: boolean;
}

interface UpdateReply {
  n?: number;
  writeErrors?: { index: number; code: number; errmsg?: string }[];
  writeConcernError?: { code: number; errmsg?: string };
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
    const reply = (await coll.db.command({ update: coll.collectionName, updates, ordered })) as UpdateReply;
    const failed = reply.writeErrors?.[0] ?? reply.writeConcernError;
    if (failed) {
      throw Object.assign(new Error(`update of ${coll.collectionName} failed: ${failed.errmsg ?? failed.code}`), {
        name: 'MongoWriteError',
        code: failed.code,
        writeErrors: reply.writeErrors,
      });
    }
    n += reply.n ?? 0;
  }
  return n;
}
