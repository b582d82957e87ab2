import type { AnyBulkWriteOperation, BulkWriteResult, Collection, Document } from 'mongodb';

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
